/** Toolbar buttons for the Markdown basics: bold, italic, heading, lists, quote. */
import type { CSSProperties } from 'react'
import type { Command } from 'prosemirror-state'
import type { Session } from '../app/session'
import { toggleBold, toggleHeading, toggleItalic, toggleList, toggleQuote } from '../editor/formatting'
import { schema } from '../editor/schema'
import { MOD } from './keys'

const TOOLS: { id: string; label: string; title: string; cmd: Command; style?: CSSProperties }[] = [
  { id: 'fmt-bold', label: 'B', title: `Bold (${MOD}B)`, cmd: toggleBold, style: { fontWeight: 700 } },
  { id: 'fmt-italic', label: 'I', title: `Italic (${MOD}I)`, cmd: toggleItalic, style: { fontStyle: 'italic' } },
  { id: 'fmt-heading', label: 'H', title: `Heading (${MOD}Alt+2; type "# " at a line's start)`, cmd: toggleHeading(2) },
  { id: 'fmt-bullets', label: '•', title: `Bulleted list (${MOD}Shift+8; type "- ")`, cmd: toggleList(schema.nodes.bullet_list) },
  { id: 'fmt-numbers', label: '1.', title: `Numbered list (${MOD}Shift+9; type "1. ")`, cmd: toggleList(schema.nodes.ordered_list) },
  { id: 'fmt-quote', label: '❝', title: `Quote (${MOD}'; type "> ")`, cmd: toggleQuote },
]

export function FormatTools({ session }: { session: Session }) {
  return (
    <div className="tool-group" role="group" aria-label="Format">
      {TOOLS.map((t) => (
        <button key={t.id} className="tool fmt" data-testid={t.id} title={t.title} aria-label={t.title} style={t.style} onMouseDown={(e) => e.preventDefault()} onClick={() => session.run(t.cmd)}>
          {t.label}
        </button>
      ))}
    </div>
  )
}
