// ECharts with only the parts the console draws (bar, line, scatter and lines on a cartesian grid),
// on a canvas: nothing is fetched from outside (no map tiles, no fonts). Loaded on the first chart
// (charts.ts), so the dashboard's KPI cards do not wait for it.
import * as echarts from 'echarts/core'
import { BarChart, LinesChart, LineChart, ScatterChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent, DataZoomComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, ScatterChart, LinesChart, GridComponent, TooltipComponent, LegendComponent,
  DataZoomComponent, CanvasRenderer])

export { echarts }
