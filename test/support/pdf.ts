/** PDF text for tests, by Debian's `pdftotext` (poppler-utils; .ci/run installs it): one string per page. */
import { execFileSync } from 'node:child_process';

/** `raw`: text in content-stream order (a rotated watermark comes out as one line) instead of the page layout. */
export function pdfPages(pdf: Buffer, o: { raw?: boolean } = {}): string[] {
  let text: string;
  try {
    text = execFileSync('pdftotext', [o.raw ? '-raw' : '-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('pdftotext is missing: apt-get install poppler-utils (.ci/run does)');
    throw err;
  }
  const pages = text.split('\f');
  if (pages[pages.length - 1].trim() === '') pages.pop();
  return pages;
}

/** The text with runs of whitespace made one space (layout columns and wrapped cells read as prose). */
export const squash = (s: string) => s.replace(/\s+/g, ' ');
