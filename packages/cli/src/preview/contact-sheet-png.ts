// A contact sheet as a PNG file.
import { renameSync, unlinkSync, writeFileSync } from 'fs';
import { basename, dirname, join } from 'path';
import { PNG } from 'pngjs';
import { UserInputError } from '@mmfuse/core';
import type { ContactSheet } from './contact-sheet';

/** The sheet as PNG bytes. */
export function encodeContactSheetPng(sheet: Pick<ContactSheet, 'width' | 'height' | 'rgba'>): Buffer {
  const png = new PNG({ width: sheet.width, height: sheet.height });
  png.data.set(sheet.rgba);
  return PNG.sync.write(png);
}

/** Writes the sheet as a PNG through a temporary file in the same folder, so `file` is never left half-written. */
export function writeContactSheetPng(file: string, sheet: Pick<ContactSheet, 'width' | 'height' | 'rgba'>): void {
  const bytes = encodeContactSheetPng(sheet);
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was written, or it is already gone.
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EROFS') {
      throw new UserInputError(`${file}: cannot write the preview (${code})`);
    }
    throw error;
  }
}
