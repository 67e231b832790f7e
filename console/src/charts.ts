// A chart bound to an element. ECharts (src/echarts.ts) is imported on the first mount, so a page's
// other content is shown while the chart library is still loading.
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import type { ECharts } from 'echarts/core'

/** Bind a chart to an element; ``option`` is re-applied whenever it changes. */
export function useChart(el: Ref<HTMLElement | null>, option: Ref<Record<string, unknown> | null>,
  onClick?: (p: { seriesName?: string; data?: unknown; name?: string }) => void) {
  let chart: ECharts | null = null
  let gone = false
  const resize = () => chart?.resize()
  onMounted(async () => {
    const { echarts } = await import('./echarts')
    if (gone || !el.value) return
    chart = echarts.init(el.value)
    if (onClick) chart.on('click', (p) => onClick(p as never))
    if (option.value) chart.setOption(option.value, true)
    window.addEventListener('resize', resize)
  })
  watch(option, (o) => { if (chart && o) chart.setOption(o, true) }, { deep: true })
  onBeforeUnmount(() => { gone = true; window.removeEventListener('resize', resize); chart?.dispose() })
}
