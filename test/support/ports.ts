/** Free ports for tests that must name a port (a child process's flags, a server started by script): the OS picks them. */
import { createServer } from 'node:net';

/** Binds `port` on loopback and releases it: the port bound, or null when it is taken. */
function probe(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** A port the OS just handed out (free now; bind it soon). */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = await probe(0);
    if (p !== null) return p;
  }
}

/** A free port p with p+1 and p+2 free too (a ClickHouse server's HTTP, native and interserver ports). */
export async function freePortTriple(): Promise<number> {
  for (;;) {
    const p = await probe(0);
    if (p !== null && p < 65_000 && (await probe(p + 1)) !== null && (await probe(p + 2)) !== null) return p;
  }
}
