// Files of a paired --dir, each written by write-then-rename so that a crash never leaves a half-written one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from './errors';

/** Writes `content` to a temporary name beside `file`, flushes it, then renames it over `file` (atomic on one file system). */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temporary, 'wx', mode);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Points the symlink `link` at `target` by renaming a new symlink over it: readers see the old target or the new one. */
export function replaceSymlink(link: string, target: string): void {
  const temporary = path.join(path.dirname(link), `.${path.basename(link)}.${randomBytes(6).toString('hex')}.tmp`);
  fs.symlinkSync(target, temporary);
  try {
    fs.renameSync(temporary, link);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/** Creates `dir` (0700) if needed and proves it writable, before anything is spent (a one-time token is good once). */
export function prepareDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const probe = path.join(dir, `.write-probe-${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.rmSync(probe);
  } catch (error) {
    throw new BadInputError(`--dir ${dir} is not a writable directory (${(error as NodeJS.ErrnoException).code ?? 'error'}); nothing was written`);
  }
}
