// The project steps both the coordinator's inbox and the unit view offer; each answers with the
// API's own message, and a lost claim race refreshes the view.
import { ElMessage, ElMessageBox } from 'element-plus'
import { api, ok, ApiError } from './api/client'
import { i18n } from './i18n'

const t = (k: string) => i18n.global.t(k)
const lang = () => i18n.global.locale.value

export function useProjectActions(refresh: () => Promise<void> | void) {
  async function run(p: Promise<unknown>, lostRace = false) {
    try {
      await p
      ElMessage.success(t('common.done'))
    } catch (e) {
      if (lostRace && e instanceof ApiError && e.status === 409) ElMessage.warning(`${t('claims.lostRace')}（${e.text(lang())}）`)
      else ElMessage.error(e instanceof ApiError ? e.text(lang()) : String(e))
    }
    await refresh()
  }
  const path = (id: string) => ({ params: { path: { project_id: id } } })
  return {
    claim: (id: string) => run(ok(api.POST('/api/v1/projects/{project_id}/claim', { ...path(id), body: {} })), true),
    confirm: (id: string) => run(ok(api.POST('/api/v1/projects/{project_id}/confirm', path(id)))),
    start: (id: string) => run(ok(api.POST('/api/v1/projects/{project_id}/start', { ...path(id), body: {} }))),
    complete: (id: string) => run(ok(api.POST('/api/v1/projects/{project_id}/complete', path(id)))),
    async decline(id: string) {
      let reason: string
      try {
        reason = (await ElMessageBox.prompt(t('claims.declineReason'), t('claims.decline'), { inputPattern: /\S/, confirmButtonText: t('common.confirm'), cancelButtonText: t('common.cancel') })).value
      } catch { return }
      await run(ok(api.POST('/api/v1/projects/{project_id}/decline', { ...path(id), body: { reason } })))
    },
    async progress(id: string, progress: number, note: string) {
      await run(ok(api.POST('/api/v1/projects/{project_id}/progress', { ...path(id), body: { progress, note } })))
    },
    async evaluate(id: string, rating: number, satisfaction: number, comment: string) {
      await run(ok(api.POST('/api/v1/projects/{project_id}/evaluate', { ...path(id), body: { rating, satisfaction, comment } })))
    },
  }
}
