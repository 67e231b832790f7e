// The signed-in token and who it is (GET /api/v1/me). The console hides what the role may not
// do; the API still enforces every rule.
import { computed, ref } from 'vue'

export interface Me {
  role: string
  role_zh: string
  scope?: string | null
  scope_name?: string | null
  scope_level?: string | null
  sub: string
  may: string[]
}

const KEY = 'fourlinks.token'
const token = ref<string>(localStorage.getItem(KEY) || '')
const me = ref<Me | null>(null)
let onExpired: () => void = () => {}

export const auth = {
  token,
  me,
  signedIn: computed(() => !!token.value && !!me.value),
  may(action: string): boolean {
    return !!me.value?.may.includes(action)
  },
  set(t: string, who: Me) {
    token.value = t
    me.value = who
    localStorage.setItem(KEY, t)
  },
  clear() {
    token.value = ''
    me.value = null
    localStorage.removeItem(KEY)
  },
  expired() {
    onExpired()
  },
  onExpired(fn: () => void) {
    onExpired = fn
  },
}
