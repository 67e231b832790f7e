// The vocabulary with its Chinese and English labels, read once from GET /api/v1/taxonomy (the
// one definition is engine/taxonomy.py); the console never keeps a second copy.
import { ref } from 'vue'
import { api, ok, type Schemas } from './api/client'
import { i18n } from './i18n'

type Tax = Schemas['Taxonomy']
const tax = ref<Tax | null>(null)

export async function loadLabels(): Promise<void> {
  if (!tax.value) tax.value = await ok(api.GET('/api/v1/taxonomy'))
}

export function taxonomy(): Tax | null {
  return tax.value
}

export function label(group: keyof Tax, code: string | null | undefined): string {
  if (!code) return ''
  const t = tax.value?.[group]?.find((x) => x.code === code)
  if (!t) return code
  return i18n.global.locale.value === 'en' ? t.en : t.zh
}

export function options(group: keyof Tax): { value: string; label: string }[] {
  return (tax.value?.[group] ?? []).map((t) => ({ value: t.code, label: label(group, t.code) }))
}
