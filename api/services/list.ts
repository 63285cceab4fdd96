/**
 * Pagination, sorting and cursors, the same for every list endpoint: items sorted by the chosen
 * key then by id (a total order), `limit` per page, and an opaque cursor naming the last item
 * served — stable while items are added or removed between pages.
 */
import { ApiError } from '../errors.ts';
import { LIMIT_DEFAULT } from '../schemas/common.ts';

export interface ListParams {
  readonly limit?: number;
  readonly cursor?: string;
  readonly sort?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export type SortValue = string | number | null;
export type SortKeys<T> = { readonly [name: string]: (item: T) => SortValue };

interface Cursor {
  readonly s: string;
  readonly v: SortValue;
  readonly i: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string, sort: string): Cursor {
  let c: Cursor;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new ApiError('FM_ERR_VALIDATION', 'cursor: not a cursor this API issued', { field: 'cursor' });
  }
  if (c === null || typeof c !== 'object' || typeof c.s !== 'string' || typeof c.i !== 'string' || !(c.v === null || typeof c.v === 'string' || typeof c.v === 'number')) {
    throw new ApiError('FM_ERR_VALIDATION', 'cursor: not a cursor this API issued', { field: 'cursor' });
  }
  if (c.s !== sort) throw new ApiError('FM_ERR_VALIDATION', `cursor: issued for sort=${c.s}, the request asks sort=${sort}`, { field: 'cursor' });
  return c;
}

/** null sorts first (so last in descending order). */
export function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of `items`. `presortedBy` names the sort `items` already have (skips the sort).
 * Throws FM_ERR_VALIDATION for an unknown sort or a foreign/corrupt cursor.
 */
export function paginate<T>(items: readonly T[], params: ListParams, keys: SortKeys<T>, idOf: (item: T) => string, defaultSort: string, presortedBy?: string): Page<T> {
  const sort = params.sort ?? defaultSort;
  const desc = sort.startsWith('-');
  const key = keys[desc ? sort.slice(1) : sort];
  if (key === undefined) throw new ApiError('FM_ERR_VALIDATION', `sort: one of ${Object.keys(keys).join(', ')} (prefix - for descending), got ${JSON.stringify(sort)}`, { field: 'sort' });
  const dir = desc ? -1 : 1;
  const cmp = (a: T, b: T) => dir * (compareValues(key(a), key(b)) || compareIds(idOf(a), idOf(b)));
  const sorted = presortedBy === sort ? items : [...items].sort(cmp);
  let start = 0;
  if (params.cursor !== undefined) {
    const c = decodeCursor(params.cursor, sort);
    // First item strictly after the cursor (binary search: the list is sorted by cmp).
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const it = sorted[mid];
      const after = dir * (compareValues(key(it), c.v) || compareIds(idOf(it), c.i)) > 0;
      if (after) hi = mid;
      else lo = mid + 1;
    }
    start = lo;
  }
  const limit = params.limit ?? LIMIT_DEFAULT;
  const pageItems = sorted.slice(start, start + limit);
  const last = pageItems[pageItems.length - 1];
  const nextCursor = start + limit < sorted.length && last !== undefined ? encodeCursor({ s: sort, v: key(last), i: idOf(last) }) : null;
  return { items: pageItems as T[], nextCursor };
}

/** Maps a page's items (after paginating on the cheap source items). */
export function mapPage<A, B>(p: Page<A>, f: (a: A) => B): Page<B> {
  return { items: p.items.map(f), nextCursor: p.nextCursor };
}
