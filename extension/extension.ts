import * as vscode from 'vscode';

/** Wires the extension up; everything it creates goes into context.subscriptions. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('weft.showStatus', () => {
      void vscode.window.showInformationMessage('Weft is installed. Sharing arrives with the network layer.');
    }),
  );
}

export function deactivate(): void {}
