import { createApp } from 'vue'
// Element Plus components and their CSS are imported where a template uses them (vite.config.ts);
// the message and message-box services are called from scripts, so their CSS is imported here.
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'

createApp(App).use(i18n).use(router).mount('#app')
