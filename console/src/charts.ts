// ECharts with only the parts the console uses (smaller bundle), drawn on a canvas: nothing is
// fetched from outside (no map tiles, no fonts).
import * as echarts from 'echarts/core'
import { BarChart, EffectScatterChart, LinesChart, LineChart, PieChart, ScatterChart } from 'echarts/charts'
import { DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, DataZoomComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'

echarts.use([BarChart, LineChart, PieChart, ScatterChart, EffectScatterChart, LinesChart, GridComponent, TooltipComponent,
  LegendComponent, TitleComponent, DatasetComponent, DataZoomComponent, CanvasRenderer])

export { echarts }

/** Bind a chart to an element; ``option`` is re-applied whenever it changes. */
export function useChart(el: Ref<HTMLElement | null>, option: Ref<Record<string, unknown> | null>,
  onClick?: (p: { seriesName?: string; data?: unknown; name?: string }) => void) {
  let chart: echarts.ECharts | null = null
  const resize = () => chart?.resize()
  onMounted(() => {
    if (!el.value) return
    chart = echarts.init(el.value)
    if (onClick) chart.on('click', (p) => onClick(p as never))
    if (option.value) chart.setOption(option.value, true)
    window.addEventListener('resize', resize)
  })
  watch(option, (o) => { if (chart && o) chart.setOption(o, true) }, { deep: true })
  onBeforeUnmount(() => { window.removeEventListener('resize', resize); chart?.dispose() })
}
