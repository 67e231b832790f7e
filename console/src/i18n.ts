// All text a coordinator reads, in Chinese first with English available (the switch in the header).
import { createI18n } from 'vue-i18n'

const zh = {
  app: { title: '四联四共共建管理平台', signOut: '退出', lang: 'English', role: '角色', scope: '范围', all: '全市' },
  nav: { dashboard: '总览', lists: '清单', rounds: '匹配', claims: '认领', unit: '单位', assessment: '考评', whatif: '推演', map: '地图', wishes: '微心愿' },
  login: {
    title: '登录', token: '令牌', placeholder: '粘贴管理员签发的令牌', submit: '登录', bad: '令牌无效或已过期',
    hint: '令牌由管理员通过 fourlinks token 或“签发令牌”功能签发；也可打开管理员发来的登录链接。',
  },
  common: {
    search: '查询', reset: '重置', refresh: '刷新', id: '编号', name: '名称', category: '类别', status: '状态',
    community: '社区', unit: '单位', total: '共 {n} 条', empty: '暂无数据', action: '操作', scope: '范围',
    year: '年度', type: '类型', quantity: '数量', capacity: '容量', all: '全部', confirm: '确定', cancel: '取消',
    done: '操作成功', score: '得分', reason: '原因', progress: '进度', note: '说明',
  },
  dash: {
    kpi: '四联四共指标', demands: '需求', projects: '项目', coverage: '覆盖率', communities: '社区', grids: '网格',
    units: '共建单位', resources: '资源', openProjects: '进行中项目', perCommunity: '各社区需求覆盖率',
    perType: '各类单位参与率', lastRound: '最近一轮', noRound: '尚未运行匹配轮次', utilisation: '参与率',
    offering: '有资源的单位', inProjects: '参与项目的单位', states: '项目状态',
  },
  lists: {
    resources: '资源清单', demands: '需求清单', units: '共建单位', members: '党员', import: '导入清单',
    dryRun: '校验（不写入）', apply: '确认导入', files: '选择文件', template: '下载模板', export: '导出',
    errors: '发现 {n} 处错误，未导入任何数据', file: '文件', value: '填写的值', row: '行', column: '列', valid: '校验通过，可以导入',
    applied: '导入完成', inService: '在职党员', yes: '是', no: '否', reliability: '可靠度', maxProjects: '年度项目上限',
    priority: '优先级', pickFiles: '请先选择文件', counts: '各清单条数',
    request: '申请资源', requestTitle: '向共建单位申请资源', requestDemand: '用于哪项需求', requestAmount: '申请数量', requestAmountHint: '缺省为需求数量',
    requested: '申请已发出，等待单位确认', noOpenDemand: '本范围没有待匹配的需求',
  },
  rounds: {
    start: '发起匹配', scope: '匹配范围', timeLimit: '求解时限（秒）', year: '清单年度', running: '正在匹配…',
    list: '轮次列表', projects: '项目清单', unmet: '未满足需求', publish: '发布项目清单', rerun: '二次匹配',
    gap: '最优性差距', baseline: '与人工匹配（贪心基线）对比', optimiser: '优化匹配', hand: '人工匹配',
    objective: '目标值', coverage: '加权覆盖率', coverageCount: '完全满足率', mustCover: '必保需求满足',
    utilisation: '单位参与率', terms: '得分构成', allocations: '资源分配', amount: '数量', travel: '路程（分钟）',
    level: '层级', published: '已发布', solver: '求解状态', stage: '阶段', none: '请选择或发起一个轮次',
    confirmPublish: '发布后项目清单冻结，单位可开始认领。确定发布？', demand: '需求',
  },
  claims: {
    inbox: '待确认的认领', mine: '社区项目', confirmBtn: '确认（签订共建协议）', decline: '婉拒',
    declineReason: '婉拒原因', start: '开始实施', progressBtn: '报告进度', complete: '完成', evaluate: '评价',
    rating: '评分', satisfaction: '居民满意度', comment: '评语', lostRace: '已被其他单位认领，列表已刷新',
    due: '计划完成', awaitingUnit: '等待单位确认',
  },
  unit: {
    my: '我的项目', open: '可认领项目', unmatched: '未匹配需求', claim: '认领', withResource: '使用资源',
    pickUnit: '查看单位', claimDemand: '直接认领', noUnit: '请以单位令牌登录，或选择一个单位',
    requests: '社区申请', accept: '同意（签订共建协议）', toAnswer: '社区申请，待我确认',
  },
  assess: { ranking: '单位排名', record: '单位考评记录', rank: '名次', claimed: '认领', confirmed: '签约', completed: '完成', onTime: '按时率', rating: '平均评分', satisfaction: '平均满意度', reliability: '可靠度', score: '综合得分' },
  whatif: {
    pick: '选择内置情景', upload: '上传情景文件', text: '情景内容（YAML）', run: '运行推演', running: '推演中…',
    comparison: '方案对比', report: '打开 HTML 报告', metric: '指标', variant: '方案', timeLimit: '每次求解秒数',
  },
  wishes: { title: '微心愿', description: '心愿内容', member: '认领党员', points: '积分', balance: '我的积分', at: '日期' },
  map: { title: '地图', legend: '图例', circle: '15分钟服务圈', clickHint: '点击社区显示其 15 分钟服务圈', lon: '经度', lat: '纬度' },
  states: {},
}

type Msg = typeof zh

const en: Msg = {
  app: { title: 'Four Links Four Shares co-building console', signOut: 'Sign out', lang: '中文', role: 'Role', scope: 'Scope', all: 'whole city' },
  nav: { dashboard: 'Dashboard', lists: 'Lists', rounds: 'Rounds', claims: 'Claims', unit: 'Unit', assessment: 'Assessment', whatif: 'What-if', map: 'Map', wishes: 'Micro-wishes' },
  login: {
    title: 'Sign in', token: 'Token', placeholder: 'Paste the token an admin issued', submit: 'Sign in', bad: 'Invalid or expired token',
    hint: 'Tokens are issued with fourlinks token or by an admin; an admin sign-in link also works.',
  },
  common: {
    search: 'Search', reset: 'Reset', refresh: 'Refresh', id: 'ID', name: 'Name', category: 'Category', status: 'Status',
    community: 'Community', unit: 'Unit', total: '{n} in all', empty: 'No data', action: 'Actions', scope: 'Scope',
    year: 'Year', type: 'Type', quantity: 'Quantity', capacity: 'Capacity', all: 'All', confirm: 'OK', cancel: 'Cancel',
    done: 'Done', score: 'Score', reason: 'Reason', progress: 'Progress', note: 'Note',
  },
  dash: {
    kpi: 'Four Links Four Shares KPIs', demands: 'Demands', projects: 'Projects', coverage: 'Coverage', communities: 'Communities',
    grids: 'Grids', units: 'Units', resources: 'Resources', openProjects: 'Open projects', perCommunity: 'Coverage per community',
    perType: 'Participation by unit type', lastRound: 'Last round', noRound: 'No round has run yet', utilisation: 'Participation',
    offering: 'Units listing resources', inProjects: 'Units in projects', states: 'Project states',
  },
  lists: {
    resources: 'Resources', demands: 'Demands', units: 'Units', members: 'Members', import: 'Import lists',
    dryRun: 'Check (dry run)', apply: 'Apply import', files: 'Choose files', template: 'Template', export: 'Export',
    errors: '{n} errors; nothing was imported', file: 'File', value: 'Value', row: 'Row', column: 'Column', valid: 'Valid; ready to import',
    applied: 'Imported', inService: 'In service', yes: 'yes', no: 'no', reliability: 'Reliability', maxProjects: 'Yearly limit',
    priority: 'Priority', pickFiles: 'Choose files first', counts: 'Rows per list',
    request: 'Request', requestTitle: "Request a unit's resource", requestDemand: 'For demand', requestAmount: 'Amount', requestAmountHint: "the demand's quantity",
    requested: 'Request sent; the unit will confirm or decline', noOpenDemand: 'No open demand in this area',
  },
  rounds: {
    start: 'Start a round', scope: 'Scope', timeLimit: 'Time limit (s)', year: 'List year', running: 'Matching…',
    list: 'Rounds', projects: 'Project list', unmet: 'Unmet demands', publish: 'Publish', rerun: 'Re-round',
    gap: 'Proven gap', baseline: 'Against hand matching (greedy baseline)', optimiser: 'Optimiser', hand: 'Hand matching',
    objective: 'Objective', coverage: 'Weighted coverage', coverageCount: 'Fully covered', mustCover: 'Must-cover met',
    utilisation: 'Unit participation', terms: 'Score terms', allocations: 'Allocations', amount: 'Amount', travel: 'Travel (min)',
    level: 'Level', published: 'Published', solver: 'Solver', stage: 'Stage', none: 'Pick or start a round',
    confirmPublish: 'Publishing freezes the list and opens it to claims. Publish?', demand: 'Demand',
  },
  claims: {
    inbox: 'Claims to confirm', mine: 'Community projects', confirmBtn: 'Confirm (sign agreement)', decline: 'Decline',
    declineReason: 'Reason', start: 'Start', progressBtn: 'Report progress', complete: 'Complete', evaluate: 'Evaluate',
    rating: 'Rating', satisfaction: 'Satisfaction', comment: 'Comment', lostRace: 'Already claimed by another unit; refreshed',
    due: 'Due', awaitingUnit: 'Awaiting the unit',
  },
  unit: {
    my: 'My projects', open: 'Open projects', unmatched: 'Unmatched demands', claim: 'Claim', withResource: 'Resource',
    pickUnit: 'Unit', claimDemand: 'Claim directly', noUnit: 'Sign in with a unit token or pick a unit',
    requests: 'Community requests', accept: 'Accept (sign agreement)', toAnswer: 'Requested by the community: to answer',
  },
  assess: { ranking: 'Unit ranking', record: "A unit's record", rank: 'Rank', claimed: 'Claimed', confirmed: 'Confirmed', completed: 'Completed', onTime: 'On time', rating: 'Mean rating', satisfaction: 'Mean satisfaction', reliability: 'Reliability', score: 'Score' },
  whatif: {
    pick: 'Bundled scenario', upload: 'Upload a scenario', text: 'Scenario (YAML)', run: 'Run', running: 'Running…',
    comparison: 'Comparison', report: 'Open the HTML report', metric: 'Metric', variant: 'Variant', timeLimit: 'Seconds per solve',
  },
  wishes: { title: 'Micro-wishes', description: 'Wish', member: 'Claimed by', points: 'Points', balance: 'My points', at: 'Date' },
  map: { title: 'Map', legend: 'Legend', circle: '15-minute circle', clickHint: "Click a community for its 15-minute circle", lon: 'Longitude', lat: 'Latitude' },
  states: {},
}

const saved = localStorage.getItem('fourlinks.lang')
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh',
  fallbackLocale: 'zh',
  messages: { zh, en },
})

export function setLang(lang: 'zh' | 'en'): void {
  i18n.global.locale.value = lang
  localStorage.setItem('fourlinks.lang', lang)
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'
}
