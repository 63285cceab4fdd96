/** The audit trail and API keys (admin scope). */
import { Type } from 'typebox';
import { SCOPES } from '../api-keys.ts';
import { DateTime, listQuery, page } from './common.ts';

export const AuditEntry = Type.Object({
  id: Type.String(),
  at: DateTime(),
  keyId: Type.String({ description: 'the API key that made the change' }),
  action: Type.String({ description: 'e.g. account.create, device.assign' }),
  entityType: Type.String(),
  entityId: Type.String(),
  requestId: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export const AUDIT_SORTS = ['at'] as const;
export const AuditListQuery = listQuery(AUDIT_SORTS, {
  entityType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  entityId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  from: Type.Optional(DateTime()),
  to: Type.Optional(DateTime()),
});
export const AuditPage = page(AuditEntry);

export const ApiKeyInfo = Type.Object({ keyId: Type.String(), name: Type.String(), scopes: Type.Array(Type.Enum([...SCOPES])), createdAt: DateTime(), revoked: Type.Boolean() });
export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyInfo) });
