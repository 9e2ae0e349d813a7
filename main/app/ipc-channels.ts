// The names of every IPC channel and event, with no dependencies, so the sandboxed preload can list them
// without bundling zod (a sandboxed preload may require only electron). ipc-contract.ts gives each name its
// schemas; a unit test checks that the two lists agree.

export const CHANNEL_NAMES = [
  'getState',
  'applyEdit',
  'beginGesture',
  'endGesture',
  'rollbackGesture',
  'undo',
  'redo',
  'newPatch',
  'loadSample',
  'getSampleView',
  'renderPatch',
  'startMatch',
  'stopRun',
  'runAssist',
  'acceptAssist',
  'getHints',
  'audition',
  'noteOn',
  'noteOff',
  'importSysex',
  'loadBankVoice',
  'storeBankVoice',
  'exportVoiceSysex',
  'exportBankSysex',
  'exportWav',
  'exportReport',
  'saveFile',
] as const

export const EVENT_NAMES = ['state', 'runProgress', 'runDone', 'midiNote'] as const

export type ChannelName = (typeof CHANNEL_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]

/** The Electron IPC channel string of an API method or event. */
export const ipcChannel = (name: ChannelName | EventName): string => `aeddsp:${name}`
