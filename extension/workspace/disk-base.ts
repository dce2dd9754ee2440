/**
 * Per shared path, the text that disk and share last agreed on, kept across sessions
 * (a JSON file in the share's storage folder). On start, a file whose disk text differs
 * from this base was edited while VS Code was closed: that edit (base -> disk) is merged
 * past the share's own changes since (base -> share) instead of overwriting them.
 *
 * Writes are debounced and atomic (a temporary file renamed over the old one); a
 * missing or unreadable file is an empty base (the disk text then wins, as on a first start).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'disk-base.json';
const SAVE_DELAY_MS = 500;

export class DiskBase {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly texts: Map<string, string>,
  ) {}

  static async load(dir: string, log: (line: string) => void = () => undefined): Promise<DiskBase> {
    const texts = new Map<string, string>();
    try {
      const data = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as { version?: number; files?: Record<string, unknown> };
      if (data.version === 1 && data.files && typeof data.files === 'object') {
        for (const [path, text] of Object.entries(data.files)) if (typeof text === 'string') texts.set(path, text);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`ignoring an unreadable ${FILE}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return new DiskBase(dir, texts);
  }

  get(path: string): string | undefined {
    return this.texts.get(path);
  }

  set(path: string, text: string): void {
    if (this.texts.get(path) === text) return;
    this.texts.set(path, text);
    this.schedule();
  }

  delete(path: string): void {
    if (this.texts.delete(path)) this.schedule();
  }

  /** Writes now if anything changed since the last write. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.save();
    }
    await this.saving;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  private save(): Promise<void> {
    const body = JSON.stringify({ version: 1, files: Object.fromEntries(this.texts) });
    this.saving = this.saving.then(async () => {
      const tmp = join(this.dir, `${FILE}.tmp`);
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(tmp, body);
        await rename(tmp, join(this.dir, FILE));
      } catch {
        // The base is an optimisation of the merge on the next start; a failed write only makes that merge coarser.
      }
    });
    return this.saving;
  }
}
