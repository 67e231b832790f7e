// ECharts with only what the dashboard draws (bars on a cartesian grid, with tooltip, legend and a
// zoom slider), on a canvas: nothing is fetched from outside (no map tiles, no fonts). Loaded on
// the first chart (charts.ts), so the dashboard's KPI cards do not wait for it; the map adds its
// own series types (echarts-map.ts).
import * as echarts from 'echarts/core'
import { BarChart } from 'echarts/charts'
import { GridComponent, LegendPlainComponent, TooltipComponent, DataZoomSliderComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, GridComponent, TooltipComponent, LegendPlainComponent, DataZoomSliderComponent, CanvasRenderer])

export { echarts }
