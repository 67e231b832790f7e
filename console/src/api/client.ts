// The typed API client: every path, parameter and body is checked against the types that
// openapi-typescript generates from the API's own OpenAPI document (npm run gen), so an API
// change that breaks the console fails `npm run build` (vue-tsc).
import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema'
import { auth } from '../auth'

export type Schemas = components['schemas']

export interface ApiErrorBody {
  error?: string
  message?: string
  message_en?: string
  report?: ImportReport
  details?: unknown
}

export interface ImportReport {
  applied?: boolean
  dry_run?: boolean
  errors?: { file?: string; row?: number; column?: string; value?: unknown; reason?: string; code?: string }[]
  files?: { path?: string; list?: string; rows?: number }[]
  counts?: Record<string, number>
  [k: string]: unknown
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public body: ApiErrorBody,
  ) {
    super(body.message || body.message_en || `HTTP ${status}`)
  }
  text(lang: string): string {
    return (lang === 'en' ? this.body.message_en : this.body.message) || this.message
  }
}

const authorise: Middleware = {
  async onRequest({ request }) {
    if (auth.token.value) request.headers.set('Authorization', `Bearer ${auth.token.value}`)
    return request
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(authorise)

/** The data of an openapi-fetch answer, or an ApiError carrying the API's Chinese and English message. */
export async function ok<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await p
  if (!r.response.ok) {
    const body = (r.error && typeof r.error === 'object' ? r.error : { message: String(r.error ?? '') }) as ApiErrorBody
    if (r.response.status === 401) auth.expired()
    throw new ApiError(r.response.status, body)
  }
  return r.data as T
}

/** Raw fetch for what openapi-fetch does not type well (multipart uploads, file downloads, text bodies). */
export async function raw(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (auth.token.value) headers.set('Authorization', `Bearer ${auth.token.value}`)
  const res = await fetch(path, { ...init, headers })
  if (!res.ok && res.status !== 422) {
    let body: ApiErrorBody = {}
    try {
      body = await res.json()
    } catch {
      body = { message: `HTTP ${res.status}` }
    }
    throw new ApiError(res.status, body)
  }
  return res
}

/** Download a file the API serves behind a token (templates, list exports, reports). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await raw(path)
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}
