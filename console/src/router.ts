// Hash routes, so FastAPI serves one index.html at "/" and an admin's link /#/login?token=… works.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { api, ok } from './api/client'
import { auth, type Me } from './auth'
import { loadLabels } from './labels'
import Dashboard from './views/Dashboard.vue'

/** Each page and the action its role needs to see it ("read" = every signed-in role). */
export const pages: { path: string; key: string; needs: string; component: () => Promise<unknown> }[] = [
  // The first screen is in the entry bundle (preloaded with it); the other pages load on first use.
  { path: '/dashboard', key: 'dashboard', needs: 'read', component: () => Promise.resolve(Dashboard) },
  { path: '/lists', key: 'lists', needs: 'read', component: () => import('./views/Lists.vue') },
  { path: '/rounds', key: 'rounds', needs: 'read', component: () => import('./views/Rounds.vue') },
  { path: '/claims', key: 'claims', needs: 'project.evaluate', component: () => import('./views/Claims.vue') },
  { path: '/unit', key: 'unit', needs: 'project.claim', component: () => import('./views/UnitView.vue') },
  { path: '/assessment', key: 'assessment', needs: 'read', component: () => import('./views/Assessment.vue') },
  { path: '/whatif', key: 'whatif', needs: 'round.what_if', component: () => import('./views/WhatIf.vue') },
  { path: '/map', key: 'map', needs: 'read', component: () => import('./views/MapView.vue') },
  { path: '/wishes', key: 'wishes', needs: 'read', component: () => import('./views/Wishes.vue') },
]

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/dashboard' },
  { path: '/login', component: () => import('./views/Login.vue') },
  ...pages.map((p): RouteRecordRaw => ({ path: p.path, component: p.component as () => Promise<never>, meta: { needs: p.needs } })),
  { path: '/:rest(.*)*', redirect: '/dashboard' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

export async function signIn(token: string): Promise<Me> {
  auth.token.value = token
  try {
    const [who] = await Promise.all([ok(api.GET('/api/v1/me')), loadLabels()])
    auth.set(token, who)
    return who
  } catch (e) {
    auth.clear()
    throw e
  }
}

router.beforeEach(async (to) => {
  if (to.path === '/login') {
    const t = to.query.token
    if (typeof t === 'string' && t) {
      try {
        await signIn(t)
        return { path: '/dashboard', query: {} }
      } catch {
        return { path: '/login', query: { bad: '1' } }
      }
    }
    return true
  }
  if (!auth.me.value && auth.token.value) {
    try {
      await signIn(auth.token.value)
    } catch {
      return '/login'
    }
  }
  if (!auth.me.value) return '/login'
  const needs = to.meta.needs as string | undefined
  if (needs && !auth.may(needs)) return '/dashboard'
  return true
})

auth.onExpired(() => {
  auth.clear()
  router.push('/login')
})
