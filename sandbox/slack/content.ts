import { type Params, str, structured } from './params.js';

/** What a message says: text, Block Kit blocks, legacy attachments. */
export interface MessageContent {
  text: string;
  blocks?: Record<string, unknown>[];
  attachments?: Record<string, unknown>[];
}

/** Slack truncates above 40,000 characters and refuses far longer text. */
const maxTextLength = 40_000;

/**
 * Reads and checks a message's content the way chat.postMessage/chat.update do: blocks must be
 * objects with a `type` (at most 50), attachments at most 100, and there must be something to show.
 */
export function readContent(p: Params): MessageContent | { error: string } {
  const text = str(p, 'text') ?? '';
  const blocks = structured(p, 'blocks');
  if (blocks === 'invalid') return { error: 'invalid_blocks' };
  if (blocks !== undefined) {
    const valid =
      Array.isArray(blocks) &&
      blocks.length <= 50 &&
      blocks.every(
        (b) => typeof b === 'object' && b !== null && typeof (b as { type?: unknown }).type === 'string',
      );
    if (!valid) return { error: 'invalid_blocks' };
  }
  const attachments = structured(p, 'attachments');
  if (attachments === 'invalid') return { error: 'invalid_attachments' };
  if (attachments !== undefined) {
    if (!Array.isArray(attachments) || attachments.some((a) => typeof a !== 'object' || a === null))
      return { error: 'invalid_attachments' };
    if (attachments.length > 100) return { error: 'too_many_attachments' };
  }
  const blockList = blocks as Record<string, unknown>[] | undefined;
  const attachmentList = attachments as Record<string, unknown>[] | undefined;
  if (text.trim() === '' && !blockList?.length && !attachmentList?.length) return { error: 'no_text' };
  if (text.length > maxTextLength) return { error: 'msg_too_long' };
  return {
    text,
    ...(blockList?.length ? { blocks: blockList } : {}),
    // Slack numbers attachments from 1 in the stored message.
    ...(attachmentList?.length ? { attachments: attachmentList.map((a, i) => ({ id: i + 1, ...a })) } : {}),
  };
}
