/**
 * The device registry's shared vocabulary: the `devices` table is written through the API and
 * read by every gateway's registry (ingest/device-registry.ts). What both sides must agree on —
 * a device's statuses and which protocols it may log in with — is defined here, with storage, since the API and ingest may not import
 * each other (docs/architecture.md).
 */
export const DEVICE_STATUSES = ['active', 'blocked'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Every protocol a device may log in with: its registered `protocol` first, then any more it was registered for. */
export function allowedProtocols(protocol: string, protocols: readonly string[] = []): string[] {
  return [...new Set([protocol, ...protocols])];
}
