// The map page's series types on top of the dashboard's ECharts (points, project lines and the
// 15-minute circle; a scrolling legend, wheel and drag zoom), so the first screen does not download them.
import { LinesChart, LineChart, ScatterChart } from 'echarts/charts'
import { DataZoomInsideComponent, LegendScrollComponent } from 'echarts/components'
import { echarts } from './echarts'

echarts.use([ScatterChart, LinesChart, LineChart, LegendScrollComponent, DataZoomInsideComponent])

export { echarts }
