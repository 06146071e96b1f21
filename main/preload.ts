/**
 * The preload bridge: exposes exactly the contract's InfillApi as `window.infill`, and
 * nothing else. Channel names are checked against the contract before anything crosses;
 * payloads are validated again in the main process (never trust the renderer).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  isEventChannel,
  isRequestChannel,
  type EventChannel,
  type EventPayload,
  type InfillApi,
  type RequestChannel,
  type RequestPayload,
  type RequestResult,
} from './contract'

const api: InfillApi = {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<RequestResult<C>> {
    if (!isRequestChannel(channel)) return Promise.reject(new Error(`unknown request channel "${String(channel)}"`))
    return ipcRenderer.invoke(`infill:${channel}`, payload) as Promise<RequestResult<C>>
  },
  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void {
    if (!isEventChannel(channel)) throw new Error(`unknown event channel "${String(channel)}"`)
    const wrapped = (_event: IpcRendererEvent, payload: EventPayload<C>): void => listener(payload)
    ipcRenderer.on(`infill:${channel}`, wrapped)
    return () => {
      ipcRenderer.removeListener(`infill:${channel}`, wrapped)
    }
  },
}

contextBridge.exposeInMainWorld('infill', api)
