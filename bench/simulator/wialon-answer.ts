/** Whether a Wialon IPS answer line acknowledges a packet of n records (§7 `#AD#1`, §8 `#AB#n`). */
export function checkWialonAnswer(line: string, records: number): string | null {
  if (records === 1) return line === '#AD#1' ? null : `expected #AD#1 for #D#, got ${JSON.stringify(line)}`;
  return line === '#AB#' + records ? null : `expected #AB#${records} for a #B# of ${records}, got ${JSON.stringify(line)}`;
}
