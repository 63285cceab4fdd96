/**
 * Requisites on payment documents (docs/documents.md). The provider's — who issues the invoice and
 * the act — come from configuration (`--provider-file`, a JSON file validated against
 * `ProviderRequisites` at start); the customer's are optional account fields
 * (`billing.requisites`, set through the accounts API). Russian formats are checked where they are
 * fixed (INN 10 or 12 digits, KPP and BIC 9, accounts 20); everything else is free text.
 */
import { type Static, Type } from 'typebox';

const Text = (description: string, max = 300) => Type.String({ minLength: 1, maxLength: max, description });
const Digits = (n: number, description: string) => Type.String({ pattern: `^[0-9]{${n}}$`, description });
const Inn = (description: string) => Type.String({ pattern: '^([0-9]{10}|[0-9]{12})$', description });

export const ProviderRequisites = Type.Object(
  {
    name: Text('legal name as it appears on documents, e.g. ООО «Телематика»'),
    inn: Inn('ИНН (taxpayer number): 10 digits for a company, 12 for an individual entrepreneur; numbers documents per provider'),
    kpp: Type.Optional(Digits(9, 'КПП (9 digits; companies only)')),
    address: Text('legal address', 500),
    bankName: Text('bank name'),
    bic: Digits(9, 'БИК of the bank'),
    correspondentAccount: Digits(20, 'корреспондентский счёт of the bank'),
    settlementAccount: Digits(20, 'расчётный счёт of the provider'),
    signatoryName: Text('who signs the documents, e.g. Иванов И. И.'),
    signatoryPosition: Type.Optional(Text('the signatory\'s position; default Генеральный директор / Director', 100)),
    accountantName: Type.Optional(Text('chief accountant signing the invoice (omitted: the signatory alone)')),
    phone: Type.Optional(Text('phone printed under the address', 64)),
  },
  { additionalProperties: false },
);
export type ProviderRequisites = Static<typeof ProviderRequisites>;

export const CustomerRequisites = Type.Object(
  {
    legalName: Type.Optional(Text('legal name on documents (default: the account name)')),
    inn: Type.Optional(Inn('ИНН: 10 or 12 digits')),
    kpp: Type.Optional(Digits(9, 'КПП: 9 digits')),
    address: Type.Optional(Text('legal address', 500)),
  },
  { additionalProperties: false, description: 'the customer\'s requisites on invoices and acts (docs/documents.md); null: the account name only' },
);
export type CustomerRequisites = Static<typeof CustomerRequisites>;
