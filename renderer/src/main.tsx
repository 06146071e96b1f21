/** Renderer entry: one Session over the host API, rendered by React. */
import { createRoot } from 'react-dom/client'
import { Session } from './app/session'
import { TEST_HOOKS } from './build-flags'
import { getApi } from './host/api'
import { App } from './ui/App'
import './styles.css'
import 'prosemirror-view/style/prosemirror.css'

const session = new Session(getApi())
// For end-to-end tests and the latency benchmark, in test builds only: access to the editor.
if (TEST_HOOKS) (window as unknown as { __infill?: Session }).__infill = session
createRoot(document.getElementById('root')!).render(<App session={session} />)
