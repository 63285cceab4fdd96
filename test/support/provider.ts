import type { ProviderRequisites } from '../../api/documents/requisites.ts';

/** A provider as `--provider-file` gives it (docs/documents.md has the same example). */
export const TEST_PROVIDER: ProviderRequisites = {
  name: 'ООО «Флитметр Сервис»',
  inn: '7707083893',
  kpp: '770701001',
  address: '125009, г. Москва, ул. Тверская, д. 7, оф. 12',
  bankName: 'ПАО Сбербанк, г. Москва',
  bic: '044525225',
  correspondentAccount: '30101810400000000225',
  settlementAccount: '40702810938000012345',
  signatoryName: 'Петров П. П.',
  signatoryPosition: 'Генеральный директор',
  accountantName: 'Сидорова А. В.',
  phone: '+7 495 123-45-67',
};
