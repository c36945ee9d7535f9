#!/usr/bin/env node
'use strict';
/*
 * Offline Telegram Bot API for end-to-end tests: the npm package `telegram-test-api` (4.2.1, not
 * edited) behind a compatibility layer of our own, so that python-telegram-bot 22 can run against it.
 *
 *   node tests/emulator/server.js [PORT]        (or EMULATOR_PORT; 0 = any free port)
 *
 * Binds 127.0.0.1 only. The first line on stdout is `LISTENING <port>`; everything else goes to
 * stderr (one line per request when EMULATOR_LOG=1).
 *
 * Bot side (what the bot under test talks to): http://127.0.0.1:PORT/bot<TOKEN>/<method>, i.e.
 * PTB's base_url="http://127.0.0.1:PORT/bot". Our own routes come first, then the package's app.
 *   getMe               a full User (is_bot, ...); the id is the token's numeric prefix
 *   getUpdates          offset / limit / timeout (real long polling) / allowed_updates; 409 Conflict
 *                       for an older request when a second one arrives for the same token
 *   sendMessage         the sent Message with `date` in seconds, `from` and a real `chat`; validates
 *                       like Telegram: empty or >4096-character text, HTML parse_mode (a `<` that is
 *                       not a supported tag is "can't parse entities"), callback_data of 1-64 bytes
 *   editMessageText, editMessageReplyMarkup
 *                       return the edited Message; an edit without reply_markup removes the inline
 *                       keyboard; an edit that changes nothing is 400 "message is not modified"
 *   deleteMessage, deleteWebhook (honours drop_pending_updates), answerCallbackQuery (recorded)
 *   setWebhook          left to the package (webhook mode is not usable with PTB; use polling)
 *   anything else       HTTP 404 {"ok":false,"error_code":404,
 *                       "description":"Not Found: method <name> is not emulated"}
 *                       (PTB raises telegram.error.InvalidToken, a TelegramError, for a 404)
 *
 * Client side (simulated users; the package's routes and bodies kept, answers richer):
 *   POST /sendMessage  {botToken, from, chat?, text | contact | photo ...}  -> {update_id, message_id}
 *   POST /sendCommand  same, the bot_command entity added when missing    -> {update_id, message_id}
 *   POST /sendCallback {botToken, from, message: {message_id, chat: {id}}, data, force?}
 *                      -> {update_id, callback_query_id}; the update carries the bot's message as
 *                      it is now and a chat_instance; data must be a button of its current keyboard
 *   POST /getUpdates, /getUpdatesHistory   the package's own
 * Routes for tests (JSON bodies, answers {ok, result}):
 *   GET  /emulator/health
 *   POST /emulator/messages    {token, chat_id?, include_deleted?, since?, timeout?}
 *                              -> {version, messages}: current text, markup, edit history; with
 *                              `since` a long poll until the chat's version grows
 *   POST /emulator/transcript  {token, chat_id?}  users' updates and bot messages in time order
 *   POST /emulator/callbackAnswer {token, callback_query_id, timeout?}  the bot's answer or null
 *   POST /emulator/stats       {token?}  request counts per method, unsupported calls with params
 *   POST /emulator/faults      {token, method|'*', chat_id?, error_code, description?,
 *                               retry_after?, times? (0 = until cleared), action? 'drop'}
 *   POST /emulator/faults/clear {token?, id?}
 *   POST /emulator/reset       {token?}  forget messages/updates/stats (ids keep growing)
 */

const http = require('http');
const express = require('express');
const TelegramServer = require('telegram-test-api');

const HOST = '127.0.0.1';
const STORE_TIMEOUT_S = Number(process.env.EMULATOR_STORE_TIMEOUT || 3600);
const LOG = process.env.EMULATOR_LOG === '1';
const MAX_LONG_POLL_S = 50; // Telegram caps getUpdates' timeout at 50 s
const MAX_TEXT = 4096;

function parsePort(value) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return port;
}
const requestedPort = parsePort(process.argv[2] ?? process.env.EMULATOR_PORT ?? '0');

const tg = new TelegramServer({ host: HOST, port: requestedPort || 9000, storeTimeout: STORE_TIMEOUT_S });
// We never call tg.start() (it would open its own server); expire old entries ourselves.
setInterval(() => tg.cleanUp(), STORE_TIMEOUT_S * 1000).unref();

// ---------------------------------------------------------------------------------------------
// State of our own, next to the package's storage (tg.storage.userMessages / botMessages).
const confirmedUpTo = new Map(); // token -> lowest update_id not yet confirmed by `offset`
const allowedUpdates = new Map(); // token -> Set of update types (absent = all)
const pollers = new Map(); // token -> the pending getUpdates {res, timer, ...}
const chats = new Map(); // chat id -> Chat object learnt from users' messages
const callbacks = new Map(); // `${token}|${callback id}` -> {chat_id, message_id, data, answer}
const deletedBotEntries = []; // bot messages removed by deleteMessage (kept for transcripts)
const chatVersion = new Map(); // `${token}|${chat id}` -> counter bumped on bot activity
const requestCounts = new Map(); // token -> {method: count}
const unsupportedCalls = new Map(); // token -> [{method, params, at}]
let faults = []; // injected failures, see /emulator/faults
let nextFaultId = 1;
const events = new (require('events'))();
events.setMaxListeners(0);

const nowS = () => Math.floor(Date.now() / 1000);
const toSeconds = (d) => {
  const n = Number(d);
  if (!Number.isFinite(n) || n <= 0) return nowS();
  return n > 1e11 ? Math.floor(n / 1000) : Math.floor(n); // milliseconds -> seconds
};
const key = (token, id) => `${token}|${id}`;

function botIdFromToken(token) {
  const m = /^(\d+):/.exec(String(token));
  return m ? Number(m[1]) : 666;
}
function botUser(token) {
  return { id: botIdFromToken(token), is_bot: true, first_name: 'Test Bot', username: 'TestNameBot' };
}
function chatObject(chatId) {
  const id = Number(chatId);
  if (chats.has(id)) return { ...chats.get(id) };
  return id < 0 ? { id, type: 'group', title: 'Test Group' } : { id, type: 'private', first_name: 'User' };
}
function rememberChat(chat) {
  if (!chat || !Number.isFinite(Number(chat.id))) return;
  const c = { ...chat, id: Number(chat.id) };
  if (!c.type) c.type = c.id < 0 ? 'group' : 'private';
  chats.set(c.id, c);
}

function bumpChat(token, chatId) {
  const k = key(token, Number(chatId));
  chatVersion.set(k, (chatVersion.get(k) || 0) + 1);
  events.emit(`chat:${k}`);
}
function count(token, method) {
  if (!requestCounts.has(token)) requestCounts.set(token, {});
  const c = requestCounts.get(token);
  c[method] = (c[method] || 0) + 1;
}

function sendOk(res, result) {
  res.status(200).json({ ok: true, result });
}
function sendErr(res, code, description, parameters) {
  const body = { ok: false, error_code: code, description };
  if (parameters) body.parameters = parameters;
  res.status(code).json(body);
}
class ApiError extends Error {
  constructor(code, description, parameters) {
    super(description);
    this.code = code;
    this.description = description;
    this.parameters = parameters;
  }
}
const badRequest = (d) => new ApiError(400, `Bad Request: ${d}`);

function parseJsonParam(value, name) {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}
function truthy(v) {
  return v === true || v === 'true' || v === 'True' || v === '1' || v === 1;
}

// --- Telegram's HTML parse mode (modelled on tdlib's parse_html) --------------------------------
const HTML_TAGS = new Set(['a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins',
  'tg-spoiler', 'tg-emoji', 'span', 'pre', 'code', 'blockquote']);
const byteOffset = (s, i) => Buffer.byteLength(s.slice(0, i), 'utf8');
const isSpace = (c) => c === ' ' || c === '\n' || c === '\t' || c === '\r';

function decodeEntity(s, i) {
  // s[i] === '&'; returns [decoded, next index] or null
  const m = /^&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));/.exec(s.slice(i, i + 12));
  if (!m) return null;
  let ch;
  if (m[1] !== undefined) ch = String.fromCodePoint(Math.min(Number(m[1]), 0x10ffff));
  else if (m[2] !== undefined) ch = String.fromCodePoint(Math.min(parseInt(m[2], 16), 0x10ffff));
  else ch = { lt: '<', gt: '>', amp: '&', quot: '"' }[m[3]];
  return [ch, i + m[0].length];
}

function htmlToText(src) {
  const err = (d) => badRequest(`can't parse entities: ${d}`);
  let out = '';
  const stack = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '&') {
      const dec = decodeEntity(src, i);
      if (dec) {
        out += dec[0];
        i = dec[1];
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (c !== '<') {
      out += c;
      i++;
      continue;
    }
    const begin = i;
    i++;
    if (src[i] !== '/') {
      while (i < src.length && !isSpace(src[i]) && src[i] !== '>') i++;
      if (i >= src.length) throw err(`Unclosed start tag at byte offset ${byteOffset(src, begin)}`);
      const name = src.slice(begin + 1, i).toLowerCase();
      if (!HTML_TAGS.has(name)) {
        throw err(`Unsupported start tag "${name}" at byte offset ${byteOffset(src, begin)}`);
      }
      // attributes: name="value" | name='value' | name=value | name
      while (i < src.length && src[i] !== '>') {
        if (src[i] === '"' || src[i] === "'") {
          const q = src[i];
          const end = src.indexOf(q, i + 1);
          if (end < 0) throw err(`Unclosed start tag at byte offset ${byteOffset(src, begin)}`);
          i = end + 1;
        } else {
          i++;
        }
      }
      if (i >= src.length) throw err(`Unclosed start tag at byte offset ${byteOffset(src, begin)}`);
      const attrs = src.slice(begin + 1 + name.length, i);
      if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attrs)) {
        throw err('Tag "span" must have class "tg-spoiler"');
      }
      i++; // '>'
      stack.push(name);
    } else {
      if (stack.length === 0) throw err(`Unexpected end tag at byte offset ${byteOffset(src, begin)}`);
      i++;
      const nameStart = i;
      while (i < src.length && !isSpace(src[i]) && src[i] !== '>') i++;
      const endName = src.slice(nameStart, i).toLowerCase();
      while (i < src.length && isSpace(src[i])) i++;
      if (src[i] !== '>') throw err(`Unclosed end tag at byte offset ${byteOffset(src, begin)}`);
      const open = stack.pop();
      if (endName !== '' && endName !== open) {
        throw err(`Unmatched end tag at byte offset ${byteOffset(src, begin)}, expected "</${open}>", found "</${endName}>"`);
      }
      i++;
    }
  }
  if (stack.length) throw err(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"`);
  return out;
}

// The text the user sees: HTML is parsed and checked; Markdown modes are passed through unchecked.
function displayText(raw, parseMode) {
  const text = String(raw ?? '');
  const mode = String(parseMode || '').toLowerCase();
  const shown = mode === 'html' ? htmlToText(text) : text;
  return shown.trim();
}
function checkText(shown) {
  if (shown.length === 0) throw badRequest('message text is empty');
  if (shown.length > MAX_TEXT) throw badRequest('message is too long');
}

function checkReplyMarkup(markup) {
  if (markup === undefined) return;
  if (typeof markup !== 'object' || markup === null) throw badRequest("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in markup) {
    const rows = markup.inline_keyboard;
    if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    }
    for (const row of rows) {
      for (const b of row) {
        if (!b || typeof b.text !== 'string') throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        if ('callback_data' in b) {
          const n = Buffer.byteLength(String(b.callback_data), 'utf8');
          if (n < 1 || n > 64) throw badRequest('BUTTON_DATA_INVALID');
        }
      }
    }
  }
}
const inlineOnly = (markup) => (markup && typeof markup === 'object' && 'inline_keyboard' in markup ? markup : undefined);

// --- bot messages as Telegram's Message objects ---------------------------------------------
function findBotEntry(token, chatId, messageId) {
  return tg.storage.botMessages.find((u) => u.botToken === token
    && String(u.messageId) === String(messageId)
    && String(u.message.chat_id) === String(chatId));
}

function apiMessage(token, entry) {
  const m = entry.message;
  const msg = {
    message_id: entry.messageId,
    from: botUser(token),
    chat: chatObject(m.chat_id),
    date: Math.floor(entry.time / 1000),
    text: entry.shownText ?? String(m.text ?? ''),
  };
  if (entry.editDate) msg.edit_date = entry.editDate;
  const markup = inlineOnly(m.reply_markup);
  if (markup) msg.reply_markup = markup;
  return msg;
}

// Our view of a bot message, for tests (/emulator/messages, /emulator/transcript).
function viewMessage(entry, deleted = false) {
  const m = entry.message;
  return {
    message_id: entry.messageId,
    chat_id: Number(m.chat_id),
    date: Math.floor(entry.time / 1000),
    sent_at_ms: entry.time,
    text: entry.shownText ?? String(m.text ?? ''),
    text_source: String(m.text ?? ''),
    parse_mode: m.parse_mode ?? null,
    reply_markup: m.reply_markup ?? null,
    edit_date: entry.editDate ?? null,
    history: entry.history ?? [],
    deleted,
  };
}

// --- user updates as Telegram's Update objects -----------------------------------------------
function updateType(u) {
  return 'callbackQuery' in u ? 'callback_query' : 'message';
}
function apiUpdate(u) {
  if ('callbackQuery' in u) {
    const cq = u.callbackQuery;
    return {
      update_id: u.updateId,
      callback_query: {
        id: String(u.callbackId),
        from: cq.from,
        message: cq.message,
        chat_instance: cq.chat_instance,
        data: cq.data,
      },
    };
  }
  const { botToken, ...message } = u.message; // eslint-disable-line no-unused-vars
  message.message_id = u.messageId;
  message.date = toSeconds(message.date ?? u.time);
  return { update_id: u.updateId, message };
}

function pendingUpdates(token) {
  const from = confirmedUpTo.get(token) || 0;
  const allowed = allowedUpdates.get(token);
  return tg.storage.userMessages
    .filter((u) => u.botToken === token && u.updateId >= from && (!allowed || allowed.has(updateType(u))))
    .sort((a, b) => a.updateId - b.updateId);
}

function wakePoller(token) {
  const p = pollers.get(token);
  if (p) p.wake();
}

// --- fault injection -------------------------------------------------------------------------
function takeFault(token, method, params) {
  const idx = faults.findIndex((f) => (f.token === token || f.token === '*')
    && (f.method === '*' || f.method.toLowerCase() === method.toLowerCase())
    && (f.chat_id === undefined || f.chat_id === null || String(f.chat_id) === String(params.chat_id)));
  if (idx < 0) return null;
  const f = faults[idx];
  if (f.times > 0) {
    f.times -= 1;
    if (f.times === 0) faults.splice(idx, 1);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Bot API methods we serve ourselves (names compared case-insensitively, as Telegram does).
const botMethods = {
  getme(token) {
    return {
      ...botUser(token),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    };
  },

  deletewebhook(token, p) {
    tg.deleteWebhook(token);
    if (truthy(p.drop_pending_updates)) confirmedUpTo.set(token, tg.updateId);
    return true;
  },

  sendmessage(token, p) {
    const chatId = Number(p.chat_id);
    if (!Number.isFinite(chatId) || chatId === 0) throw badRequest('chat not found');
    const replyMarkup = parseJsonParam(p.reply_markup, 'reply_markup');
    checkReplyMarkup(replyMarkup);
    const shown = displayText(p.text, p.parse_mode);
    checkText(shown);
    const raw = { ...p, chat_id: chatId, reply_markup: replyMarkup };
    if (raw.reply_markup === undefined) delete raw.reply_markup;
    const sent = tg.addBotMessage(raw, token);
    const entry = tg.storage.botMessages[tg.storage.botMessages.length - 1];
    if (!entry || entry.messageId !== sent.message_id) throw new ApiError(500, 'Internal Server Error: storage out of sync');
    entry.shownText = shown;
    entry.history = [];
    bumpChat(token, chatId);
    return apiMessage(token, entry);
  },

  editmessagetext(token, p) {
    if (p.inline_message_id) throw badRequest('inline messages are not emulated');
    const entry = findBotEntry(token, p.chat_id, p.message_id);
    if (!entry) throw badRequest('message to edit not found');
    const replyMarkup = parseJsonParam(p.reply_markup, 'reply_markup');
    checkReplyMarkup(replyMarkup);
    const shown = displayText(p.text, p.parse_mode);
    checkText(shown);
    const newMarkup = inlineOnly(replyMarkup);
    const oldMarkup = inlineOnly(entry.message.reply_markup);
    if (shown === entry.shownText && JSON.stringify(newMarkup) === JSON.stringify(oldMarkup)) {
      throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    recordEdit(entry);
    entry.message = { ...entry.message, text: p.text, parse_mode: p.parse_mode };
    if (newMarkup) entry.message.reply_markup = newMarkup;
    else delete entry.message.reply_markup;
    entry.shownText = shown;
    entry.editDate = nowS();
    bumpChat(token, entry.message.chat_id);
    return apiMessage(token, entry);
  },

  editmessagereplymarkup(token, p) {
    if (p.inline_message_id) throw badRequest('inline messages are not emulated');
    const entry = findBotEntry(token, p.chat_id, p.message_id);
    if (!entry) throw badRequest('message to edit not found');
    const replyMarkup = parseJsonParam(p.reply_markup, 'reply_markup');
    checkReplyMarkup(replyMarkup);
    const newMarkup = inlineOnly(replyMarkup);
    if (JSON.stringify(newMarkup) === JSON.stringify(inlineOnly(entry.message.reply_markup))) {
      throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    recordEdit(entry);
    entry.message = { ...entry.message };
    if (newMarkup) entry.message.reply_markup = newMarkup;
    else delete entry.message.reply_markup;
    entry.editDate = nowS();
    bumpChat(token, entry.message.chat_id);
    return apiMessage(token, entry);
  },

  deletemessage(token, p) {
    const chatId = Number(p.chat_id);
    const messageId = Number(p.message_id);
    if (!Number.isFinite(chatId) || !Number.isFinite(messageId)) {
      throw badRequest('please specify `chat_id` and `message_id`');
    }
    const entry = findBotEntry(token, chatId, messageId);
    if (entry) {
      tg.removeBotMessage(entry.updateId);
      entry.deletedAt = Date.now();
      deletedBotEntries.push(entry);
      bumpChat(token, chatId);
      return true;
    }
    if (tg.deleteMessage(chatId, messageId)) return true; // a user's message
    throw badRequest('message to delete not found');
  },

  answercallbackquery(token, p) {
    const cb = callbacks.get(key(token, p.callback_query_id));
    if (!cb) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    cb.answer = {
      text: p.text ?? null,
      show_alert: truthy(p.show_alert),
      url: p.url ?? null,
      at: Date.now(),
    };
    events.emit(`answer:${key(token, p.callback_query_id)}`);
    return true;
  },
};

function recordEdit(entry) {
  if (!entry.history) entry.history = [];
  entry.history.push({
    text: entry.shownText ?? String(entry.message.text ?? ''),
    reply_markup: entry.message.reply_markup ?? null,
    edit_date: entry.editDate ?? null,
  });
}

// getUpdates: real long polling over the package's storage.userMessages.
function getUpdates(token, p, req, res) {
  const offset = p.offset === undefined || p.offset === '' ? null : Number(p.offset);
  const limit = Math.min(Math.max(Number(p.limit) || 100, 1), 100);
  const timeoutS = Math.min(Math.max(Number(p.timeout) || 0, 0), MAX_LONG_POLL_S);
  const allowed = parseJsonParam(p.allowed_updates, 'allowed_updates');
  if (Array.isArray(allowed)) {
    if (allowed.length) allowedUpdates.set(token, new Set(allowed));
    else allowedUpdates.delete(token);
  }
  if (offset !== null && Number.isFinite(offset)) {
    if (offset > 0) {
      confirmedUpTo.set(token, Math.max(confirmedUpTo.get(token) || 0, offset));
    } else if (offset < 0) {
      const all = pendingUpdates(token);
      const keep = all.slice(offset);
      if (keep.length) confirmedUpTo.set(token, keep[0].updateId);
    }
  }

  // A second getUpdates for the same token terminates the first one, as on Telegram.
  const previous = pollers.get(token);
  if (previous) {
    previous.finish(() => sendErr(previous.res, 409,
      'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
  }

  const deliver = () => {
    const batch = pendingUpdates(token).slice(0, limit);
    batch.forEach((u) => { u.isRead = true; });
    return batch.map(apiUpdate);
  };
  const first = deliver();
  if (first.length || timeoutS === 0) {
    sendOk(res, first);
    return;
  }
  const poller = {
    res,
    done: false,
    finish(respond) {
      if (this.done) return;
      this.done = true;
      clearTimeout(this.timer);
      if (pollers.get(token) === this) pollers.delete(token);
      if (!res.writableEnded && !res.destroyed) respond();
    },
    wake() {
      const batch = deliver();
      if (batch.length) this.finish(() => sendOk(res, batch));
    },
  };
  poller.timer = setTimeout(() => poller.finish(() => sendOk(res, [])), timeoutS * 1000);
  res.on('close', () => poller.finish(() => {}));
  pollers.set(token, poller);
}

// ---------------------------------------------------------------------------------------------
const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '10mb' }));
app.use(express.urlencoded({ extended: true, limit: '10mb' }));
if (LOG) {
  app.use((req, res, next) => {
    const t0 = Date.now();
    res.on('finish', () => process.stderr.write(`${new Date().toISOString()} ${req.method} ${req.path.replace(/\/bot[^/]+\//, '/bot<token>/')} ${res.statusCode} ${Date.now() - t0}ms\n`));
    next();
  });
}

app.all('/bot:token/:method', (req, res, next) => {
  const { token, method } = req.params;
  const name = method.toLowerCase();
  const p = { ...req.query, ...(req.body || {}) };
  count(token, method);
  const fault = takeFault(token, method, p);
  if (fault) {
    if (fault.action === 'drop') {
      req.socket.destroy();
      return;
    }
    const params = fault.retry_after ? { retry_after: Number(fault.retry_after) } : undefined;
    sendErr(res, fault.error_code || 500, fault.description || 'Internal Server Error', params);
    return;
  }
  try {
    if (name === 'getupdates') {
      getUpdates(token, p, req, res);
      return;
    }
    if (name === 'setwebhook') {
      next(); // the package's own route
      return;
    }
    const handler = botMethods[name];
    if (!handler) {
      if (!unsupportedCalls.has(token)) unsupportedCalls.set(token, []);
      const list = unsupportedCalls.get(token);
      list.push({ method, params: p, at: Date.now() });
      if (list.length > 1000) list.shift();
      sendErr(res, 404, `Not Found: method ${method} is not emulated`);
      return;
    }
    sendOk(res, handler(token, p, req, res));
  } catch (e) {
    if (e instanceof ApiError) sendErr(res, e.code, e.description, e.parameters);
    else sendErr(res, 500, `Internal Server Error: ${e && e.message}`);
  }
});

// --- client API (simulated users); same routes and bodies as the package, richer answers ------
function userMessageFrom(body) {
  if (!body || typeof body !== 'object') throw badRequest('expected a JSON object');
  const { botToken } = body;
  if (!botToken) throw badRequest('`botToken` is required');
  const message = { ...body };
  if (!message.from && message.chat) message.from = { id: message.chat.id, first_name: message.chat.first_name || 'User' };
  if (!message.from || !Number.isFinite(Number(message.from.id))) throw badRequest('`from.id` is required');
  message.from = { is_bot: false, first_name: 'User', ...message.from, id: Number(message.from.id) };
  if (!message.chat) {
    const { id, first_name: firstName, last_name: lastName, username } = message.from;
    message.chat = { id, type: 'private', first_name: firstName };
    if (lastName) message.chat.last_name = lastName;
    if (username) message.chat.username = username;
  }
  message.chat = { ...message.chat, id: Number(message.chat.id) };
  if (!message.chat.type) message.chat.type = message.chat.id < 0 ? 'group' : 'private';
  message.date = toSeconds(message.date);
  rememberChat(message.chat);
  return message;
}

function clientRoute(path, fn) {
  app.post(path, async (req, res) => {
    try {
      sendOk(res, await fn(req.body || {}));
    } catch (e) {
      if (e instanceof ApiError) sendErr(res, e.code, e.description);
      else sendErr(res, 400, `Bad Request: ${e && e.message}`);
    }
  });
}

clientRoute('/sendMessage', async (body) => {
  const message = userMessageFrom(body);
  const ids = { update_id: tg.updateId, message_id: tg.messageId };
  await tg.addUserMessage(message);
  wakePoller(message.botToken);
  return ids;
});

clientRoute('/sendCommand', async (body) => {
  const message = userMessageFrom(body);
  const text = String(message.text || '');
  if (!message.entities) {
    if (!text.startsWith('/')) throw badRequest('a command must start with "/"');
    const end = text.search(/\s/);
    message.entities = [{ offset: 0, length: end < 0 ? text.length : end, type: 'bot_command' }];
  }
  message.entities = parseJsonParam(message.entities, 'entities');
  const ids = { update_id: tg.updateId, message_id: tg.messageId };
  await tg.addUserCommand(message);
  wakePoller(message.botToken);
  return ids;
});

// {botToken, from, message: {message_id, chat?} | message_id, chat_id?, data, force?}
clientRoute('/sendCallback', async (body) => {
  const { botToken, data } = body;
  if (!botToken) throw badRequest('`botToken` is required');
  if (typeof data !== 'string' || !data) throw badRequest('`data` (the button\'s callback_data) is required');
  const messageId = body.message_id ?? (body.message && body.message.message_id);
  const chatId = body.chat_id ?? (body.message && body.message.chat && body.message.chat.id)
    ?? (body.from && body.from.id);
  if (messageId === undefined || chatId === undefined) {
    throw badRequest('give the bot message pressed: `message.message_id` (and `message.chat.id`)');
  }
  const entry = findBotEntry(botToken, chatId, messageId);
  if (!entry) throw badRequest(`the bot has no message ${messageId} in chat ${chatId}`);
  const markup = inlineOnly(entry.message.reply_markup);
  const present = markup && markup.inline_keyboard.some((row) => row.some((b) => b.callback_data === data));
  if (!present && !truthy(body.force)) {
    throw badRequest(`message ${messageId} has no button with callback_data ${JSON.stringify(data)} (pass force=true to send it anyway)`);
  }
  const chat = chatObject(chatId);
  const from = body.from
    ? { is_bot: false, first_name: 'User', ...body.from, id: Number(body.from.id) }
    : { id: Number(chatId), is_bot: false, first_name: chat.first_name || 'User' };
  const callbackQuery = {
    botToken,
    from,
    message: apiMessage(botToken, entry),
    chat_instance: String(body.chat_instance ?? `${botIdFromToken(botToken)}${Math.abs(Number(chatId))}`),
    data,
  };
  const ids = { update_id: tg.updateId, callback_query_id: String(tg.callbackId) };
  await tg.addUserCallback(callbackQuery);
  callbacks.set(key(botToken, ids.callback_query_id), {
    chat_id: Number(chatId), message_id: Number(messageId), data, answer: null,
  });
  wakePoller(botToken);
  return ids;
});

// --- routes for tests --------------------------------------------------------------------------
app.get('/emulator/health', (_req, res) => sendOk(res, { package: 'telegram-test-api@4.2.1', host: HOST }));

function botEntriesOf(token, chatId) {
  const match = (e) => e.botToken === token && (chatId === undefined || chatId === null
    || String(e.message.chat_id) === String(chatId));
  return [
    ...tg.storage.botMessages.filter(match).map((e) => viewMessage(e, false)),
    ...deletedBotEntries.filter(match).map((e) => viewMessage(e, true)),
  ].sort((a, b) => a.message_id - b.message_id);
}

// {token, chat_id?, include_deleted?, since?, timeout?} -> {version, messages}: the bot's messages
// as they are now. With chat_id, `since` and `timeout` (seconds, max 60) it is a long poll: the
// answer waits until the bot sends, edits or deletes something in that chat (version > since).
app.post('/emulator/messages', (req, res) => {
  const body = req.body || {};
  const { token } = body;
  if (!token) {
    sendErr(res, 400, 'Bad Request: `token` is required');
    return;
  }
  const chatId = body.chat_id === undefined || body.chat_id === null ? null : Number(body.chat_id);
  const k = key(token, chatId);
  const version = () => (chatId === null ? null : (chatVersion.get(k) || 0));
  const answer = () => {
    if (res.writableEnded || res.destroyed) return;
    const messages = botEntriesOf(token, chatId).filter((m) => truthy(body.include_deleted) || !m.deleted);
    sendOk(res, { version: version(), messages });
  };
  const since = Number(body.since);
  const timeoutMs = Math.min(Math.max(Number(body.timeout) || 0, 0), 60) * 1000;
  if (chatId === null || !Number.isFinite(since) || version() > since || timeoutMs === 0) {
    answer();
    return;
  }
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    events.off(`chat:${k}`, finish);
    answer();
  };
  const timer = setTimeout(finish, timeoutMs);
  events.on(`chat:${k}`, finish);
  res.on('close', finish);
});

// {token, chat_id?} -> everything in order: the users' updates and the bot's messages
clientRoute('/emulator/transcript', async ({ token, chat_id: chatId }) => {
  if (!token) throw badRequest('`token` is required');
  const users = tg.storage.userMessages
    .filter((u) => u.botToken === token)
    .map((u) => ({ from: 'user', at_ms: u.time, update: apiUpdate(u) }))
    .filter(({ update }) => {
      if (chatId === undefined || chatId === null) return true;
      const chat = update.message ? update.message.chat : update.callback_query.message.chat;
      return String(chat.id) === String(chatId);
    });
  const bots = botEntriesOf(token, chatId).map((m) => ({ from: 'bot', at_ms: m.sent_at_ms, message: m }));
  return [...users, ...bots].sort((a, b) => a.at_ms - b.at_ms);
});

// {token, callback_query_id, timeout?} -> the bot's answerCallbackQuery or null
app.post('/emulator/callbackAnswer', (req, res) => {
  const { token, callback_query_id: id } = req.body || {};
  const k = key(token, id);
  const cb = callbacks.get(k);
  if (!cb) {
    sendErr(res, 400, 'Bad Request: unknown callback_query_id');
    return;
  }
  const timeoutMs = Math.min(Math.max(Number(req.body.timeout) || 0, 0), 60) * 1000;
  if (cb.answer || timeoutMs === 0) {
    sendOk(res, cb.answer);
    return;
  }
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    events.off(`answer:${k}`, finish);
    if (!res.writableEnded && !res.destroyed) sendOk(res, cb.answer);
  };
  const timer = setTimeout(finish, timeoutMs);
  events.on(`answer:${k}`, finish);
  res.on('close', finish);
});

// {token?} -> {requests: {method: n}, unsupported: [{method, params, at}]} (all tokens if absent)
clientRoute('/emulator/stats', async ({ token }) => {
  if (token) {
    return { requests: requestCounts.get(token) || {}, unsupported: unsupportedCalls.get(token) || [] };
  }
  return {
    requests: Object.fromEntries(requestCounts),
    unsupported: Object.fromEntries(unsupportedCalls),
  };
});

// {token, method ('*' = any), chat_id?, error_code, description, retry_after?, times? (default 1,
//  0 = until cleared), action? ('error' | 'drop': close the connection without an answer)}
clientRoute('/emulator/faults', async (body) => {
  if (!body.token || !body.method) throw badRequest('`token` and `method` are required');
  const fault = {
    id: nextFaultId++,
    token: String(body.token),
    method: String(body.method),
    chat_id: body.chat_id ?? null,
    error_code: Number(body.error_code) || 500,
    description: body.description || null,
    retry_after: body.retry_after ?? null,
    times: body.times === undefined ? 1 : Number(body.times),
    action: body.action || 'error',
  };
  faults.push(fault);
  return fault;
});
// {token?, id?}: remove one injected fault, those of a token, or all
clientRoute('/emulator/faults/clear', async ({ token, id }) => {
  const before = faults.length;
  if (id !== undefined && id !== null) faults = faults.filter((f) => f.id !== Number(id));
  else faults = token ? faults.filter((f) => f.token !== token) : [];
  return { removed: before - faults.length };
});

// {token?}: forget messages, updates, callbacks, stats (of one token, or all). Ids keep growing,
// so a bot that keeps polling across a reset is not confused by its offset.
clientRoute('/emulator/reset', async ({ token }) => {
  const keep = (x) => token && x.botToken !== token;
  tg.storage.userMessages = tg.storage.userMessages.filter(keep);
  tg.storage.botMessages = tg.storage.botMessages.filter(keep);
  for (let i = deletedBotEntries.length - 1; i >= 0; i--) {
    if (!keep(deletedBotEntries[i])) deletedBotEntries.splice(i, 1);
  }
  const dropKeys = (map) => {
    for (const k of [...map.keys()]) if (!token || k === token || k.startsWith(`${token}|`)) map.delete(k);
  };
  [requestCounts, unsupportedCalls, callbacks].forEach(dropKeys); // chat versions keep growing too
  faults = token ? faults.filter((f) => f.token !== token) : [];
  if (!token) chats.clear();
  return true;
});

// Everything else (setWebhook, the package's /getUpdates and /getUpdatesHistory): the package.
app.use(tg.webServer);

// ---------------------------------------------------------------------------------------------
const server = http.createServer(app);
server.keepAliveTimeout = 75 * 1000;
server.headersTimeout = 80 * 1000;
server.listen(requestedPort, HOST, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
server.on('error', (e) => {
  process.stderr.write(`cannot listen on ${HOST}:${requestedPort}: ${e.message}\n`);
  process.exit(1);
});

function shutdown() {
  for (const p of pollers.values()) p.finish(() => sendOk(p.res, []));
  server.close(() => process.exit(0));
  if (server.closeAllConnections) server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (process.env.EMULATOR_EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
