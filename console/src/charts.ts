// A chart bound to an element. ECharts (src/echarts.ts) is imported on the first mount, so a page's
// other content is shown while the chart library is still loading.
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import type { ECharts } from 'echarts/core'

type Loader = () => Promise<{ echarts: typeof import('echarts/core') }>

/** Bind a chart to an element; ``option`` is re-applied whenever it changes. ``load`` brings
 * ECharts with the series types the chart needs (the dashboard's by default). */
export function useChart(el: Ref<HTMLElement | null>, option: Ref<Record<string, unknown> | null>,
  onClick?: (p: { seriesName?: string; data?: unknown; name?: string }) => void, load: Loader = () => import('./echarts')) {
  let chart: ECharts | null = null
  let gone = false
  const resize = () => chart?.resize()
  onMounted(async () => {
    const { echarts } = await load()
    if (gone || !el.value) return
    chart = echarts.init(el.value)
    if (onClick) chart.on('click', (p) => onClick(p as never))
    if (option.value) chart.setOption(option.value, true)
    window.addEventListener('resize', resize)
  })
  watch(option, (o) => { if (chart && o) chart.setOption(o, true) }, { deep: true })
  onBeforeUnmount(() => { gone = true; window.removeEventListener('resize', resize); chart?.dispose() })
}
