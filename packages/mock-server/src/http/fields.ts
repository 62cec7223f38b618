import { z } from 'zod';

/** C0 controls and DEL, which no name or id holds (NUL ends strings in C; the rest garble logs and terminals). */
const NO_CONTROLS = /^[^\u0000-\u001f\u007f]*$/;
/** Free text may break lines and indent; no other control character. */
const TEXT_CONTROLS_ONLY_WHITESPACE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/**
 * The fields the API's bodies and queries share, in one place, so the routes that take
 * them and the checks of what the store holds agree.
 */

/** A node's or a cluster's name: trimmed, 1 to 128 characters, one line. */
export const Name = z.string().trim().min(1).max(128).regex(NO_CONTROLS, 'no control characters');

/** A description: up to 1,000 characters; line breaks and tabs are fine. */
export const Description = z.string().max(1_000).regex(TEXT_CONTROLS_ONLY_WHITESPACE, 'no control characters but line breaks and tabs');

/** An id or a name that names a node, cluster or container. */
export const Reference = z.string().min(1).max(128).regex(NO_CONTROLS, 'no control characters');
