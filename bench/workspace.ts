/**
 * The bench's scratch space: one temp dir for everything it generates, removed at the end (also
 * on Ctrl-C), so a run leaves nothing behind on the disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Workspace {
  readonly root: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'sidecar-bench-'));
    const cleanup = (signal: NodeJS.Signals) => {
      this.removeSync();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', cleanup);
    process.once('SIGTERM', cleanup);
  }

  /** A fresh, empty dir under the workspace. */
  async dir(prefix: string): Promise<string> {
    return mkdtemp(join(this.root, `${prefix}-`));
  }

  /** A path under the workspace whose parent exists (the file itself is not created). */
  async path(...parts: string[]): Promise<string> {
    const path = join(this.root, ...parts);
    await mkdir(join(path, '..'), { recursive: true });
    return path;
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  private removeSync(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
