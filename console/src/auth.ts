// The signed-in token and who it is (GET /api/v1/me). The console hides what the role may not
// do; the API still enforces every rule.
import { computed, ref } from 'vue'
import type { Schemas } from './api/client'

/** Who the token is: the API's own model (GET /api/v1/me), not a copy. */
export type Me = Schemas['Me']

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
