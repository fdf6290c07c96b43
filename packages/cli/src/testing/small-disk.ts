import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * A real, small file system for full-disk tests: a tmpfs of `megabytes` mounted on a fresh
 * folder. Mounting needs root (CI runs as root); elsewhere the error says so.
 */
export class SmallDisk {
  readonly dir: string;
  private readonly filler: string;

  constructor(megabytes: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'mmfuse-small-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', this.dir], { stdio: 'pipe' });
    } catch (error) {
      rmSync(this.dir, { recursive: true, force: true });
      throw new Error(`the full-disk tests mount a ${megabytes} MB tmpfs, which needs root: run them as root (${(error as Error).message.split('\n')[0]})`);
    }
    this.filler = join(this.dir, 'filler.bin');
  }

  /** Bytes a non-root writer may still use. */
  free(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Fills the disk until only about `bytes` remain free (to the page). */
  leave(bytes: number): void {
    this.release();
    const size = Math.max(0, this.free() - bytes);
    writeFileSync(this.filler, Buffer.alloc(size));
  }

  /** Removes the filler. */
  release(): void {
    rmSync(this.filler, { force: true });
  }

  unmount(): void {
    execFileSync('umount', [this.dir], { stdio: 'pipe' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
