/**
 * Node sockets run inside a namespace by the NAT tests (there is no `ping` here, and a
 * socket is what the peers use anyway). Reports JSON lines on stdout:
 *   node socket-probe.js tcp-server HOST PORT
 *     {"event":"listening"}, then per connection {"event":"accepted","remoteAddress","remotePort"};
 *     each connection is answered "ok" and closed.
 *   node socket-probe.js tcp-client HOST PORT TIMEOUT_MS [LOCAL_PORT]
 *     {"event":"connected","localAddress","localPort"} and {"event":"reply","text"}, or
 *     {"event":"failed","code"} (an errno code, or TIMEOUT); then exits.
 *   node socket-probe.js udp-server HOST PORT
 *     {"event":"listening"}, then per datagram {"event":"datagram","text","remoteAddress"}.
 *   node socket-probe.js udp-client HOST PORT TEXT
 *     sends TEXT three times, 20 ms apart, then {"event":"sent"} and exits.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function tcpServer(host: string, port: number): void {
  const server = createServer((socket) => {
    report('accepted', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    socket.on('error', () => {});
    socket.end('ok');
  });
  server.listen(port, host, () => report('listening'));
}

function tcpClient(host: string, port: number, timeoutMs: number, localPort: number | undefined): void {
  const socket = connect({ host, port, ...(localPort !== undefined ? { localPort } : {}) });
  let text = '';
  const timer = setTimeout(() => {
    report('failed', { code: 'TIMEOUT' });
    process.exit(0);
  }, timeoutMs);
  socket.on('connect', () => report('connected', { localAddress: socket.localAddress, localPort: socket.localPort }));
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('end', () => {
    clearTimeout(timer);
    report('reply', { text });
    process.exit(0);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    report('failed', { code: err.code ?? err.message });
    process.exit(0);
  });
}

function udpServer(host: string, port: number): void {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => report('datagram', { text: msg.toString(), remoteAddress: rinfo.address }));
  socket.bind(port, host, () => report('listening'));
}

async function udpClient(host: string, port: number, text: string): Promise<void> {
  const socket = createSocket('udp4');
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve, reject) => socket.send(text, port, host, (err) => (err ? reject(err) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  report('sent');
  socket.close();
}

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
if (host === undefined || !Number.isSafeInteger(port)) {
  console.error('usage: socket-probe.js tcp-server|tcp-client|udp-server|udp-client HOST PORT ...');
  process.exit(2);
}
switch (mode) {
  case 'tcp-server':
    tcpServer(host, port);
    break;
  case 'tcp-client':
    tcpClient(host, port, Number(rest[0] ?? 5000), rest[1] !== undefined ? Number(rest[1]) : undefined);
    break;
  case 'udp-server':
    udpServer(host, port);
    break;
  case 'udp-client':
    udpClient(host, port, rest[0] ?? 'hello').catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
    break;
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
