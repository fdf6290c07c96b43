import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'fs';
import { join, resolve } from 'path';

function timestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** Writes `text` to `file` through a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** One run's folder: `<dir>/<name>-<timestamp>`, created only when the run really starts. */
export class RunFolder {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static create(outputDir: string, name: string, now = new Date()): RunFolder {
    const base = resolve(outputDir, `${name}-${timestamp(now)}`);
    let path = base;
    for (let k = 2; existsSync(path); k++) path = `${base}-${k}`;
    mkdirSync(path, { recursive: true });
    return new RunFolder(path);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }

  appendJsonLine(name: string, value: unknown): void {
    appendFileSync(this.file(name), `${JSON.stringify(value)}\n`);
  }
}
