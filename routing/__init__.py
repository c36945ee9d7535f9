"""The routing domain of 群众点单 · 党员接单 · 组织派单: tickets, members, 接单 matching, 派单,
points, statistics and the notification outbox, on SQLModel (SQLite or PostgreSQL). No Telegram.

How to call it. Every function takes an open `Session` and works inside the caller's
transaction; time-dependent ones take `now` (an aware datetime). Use one transaction per update:

    engine = routing.bootstrap.start(settings, coordinator_ids=[...])   # once, at start
    with routing.db.transaction(engine) as session:                     # commit or roll back
        ticket = routing.tickets.submit_ticket(session, user_id, text, now, label=..., ...)

A `routing.errors.DomainError` (NotFound, InvalidInput, NotAllowed, IllegalTransition,
TicketAlreadyTaken, ConcurrentUpdate) carries a Chinese `.message` fit to show the user; the
transaction is rolled back, so nothing changed. Messages to send are rows in the outbox (below).

Start-up and settings
  config.Settings / get_settings()      settings from env/.env (subclass it for bot fields)
  bootstrap.start(settings, coordinator_ids=, coordinator_scope=)  migrate, sync geography,
                                        configured coordinators; returns the Engine
  db.transaction(engine)                context manager: a Session in one transaction
  db.make_engine(url) / db.upgrade(url) engine (SQLite: WAL, FKs, busy timeout) / migrations

Geography (geography.py)
  list_grids(session, within=None)      grids for the "choose your community/grid" step
  get_node(session, code)               a node (name, level, parents)

People, members, coordinators (members.py)
  ensure_person(session, tid, now, name=)             on every update: creates, clears "blocked"
  set_home_grid(session, tid, grid_code, now)         a resident's grid (/start)
  roles(session, tid)                                 {'member': Member|None, 'coordinator_scopes'}
  create_invite(session, coordinator_tid, now)        /invite → Invite (.code, .expires_at)
  check_invite(session, code, now)                    validate a code before asking name/skills
  register_member(session, tid, code, name, skill_tags, grid_code, now)   /join; on duty at once
  set_duty(session, tid, on_duty=None)                /duty (None toggles)
  update_member(session, tid, display_name=, skill_tags=, grid_code=, capacity=)
  get_member / find_member(session, tid)              a member's profile (error / None)
  add_coordinator(session, by_tid, tid, scope, now)   a coordinator adds another (in scope)
  coordinator_scopes(session, tid) / is_coordinator(session, tid)
  config.get_taxonomy().skills                        the skill tags for the multi-select

Tickets (tickets.py)
  submit_ticket(session, resident_tid, text, now, label=, grid_code=, address=, phone=,
                attachments=, urgent=, confidence=, normalized_text=)   confirmed 点单 → Ticket;
                                        first wave of offers, or dispatch (label None = 其他)
  start_ticket(session, ticket_id, member_tid, now)                     开始
  resolve_ticket(session, ticket_id, member_tid, now, note=, attachments=)   办结 (+ points)
  hand_back(session, ticket_id, member_tid, reason, now)                退回 (re-routed)
  cancel_ticket(session, ticket_id, actor_tid, now, reason=, resident_words=)   resident, or coordinator
  chase_ticket(session, ticket_id, resident_tid, words, now)            催办: to its coordinators and member
  urge_ticket(session, ticket_id, coordinator_tid, now)                 督办: a coordinator urges its member
  alert_unplaced(session, resident_tid, text, hotlines, now)            an emergency before a grid is chosen
  rate_ticket(session, ticket_id, resident_tid, stars, now, comment=)   1–5; 1–2 reopen
  comment_rating(session, ticket_id, resident_tid, comment, now)         words after the stars
  close_ticket(session, ticket_id, now, actor_id=None)                  resolved, never rated
  get_ticket_by_number(session, "#A1234") / list_resident_tickets(session, tid)   /my
  list_member_tasks(session, tid) / list_member_offers(session, tid)   /tasks
  ticket_view(session, ticket_id, viewer_tid)        dict; contact only for those allowed
  ticket_events(session, ticket_id)                   the ticket's log

Offers and 派单 (dispatch.py)
  accept_offer(session, ticket_id, member_tid, now)   接单; atomic, losers get TicketAlreadyTaken
  decline_offer(session, ticket_id, member_tid, now, reason=)   不方便; next wave when none left (the offer)
  add_decline_reason(session, offer_id, member_tid, reason, now)   why, typed after 不方便: a 指派's
                                        coordinator, and the 派单's when the ticket waits for one, hear it
  advance_waves(session, now)                         scheduler step (every ~30 s): due waves
  list_waiting(session, coordinator_tid, scope=None)  /dispatch: tickets waiting for 派单
  dispatch_candidates(session, ticket_id, coordinator_tid, now, limit=8)   指派 buttons
  assign_ticket(session, ticket_id, coordinator_tid, member_id, now)   指派 / reassign (an
                                        offer of kind 'dispatch'; the member's 接单 consents)
  escalate_ticket(session, ticket_id, now, reason=)   one level up (for the time-limit scanner)
  raise_ticket(session, ticket_id, coordinator_tid, now)   上报: to the level above his own
  can_raise(session, ticket, coordinator_tid)         whether 上报 is his to press on it
  why_waiting(session, ticket)                        why it waits for 派单 (上报, 退回, a low rating, 不方便 told why)
  turned_down_by(session, ticket)                     members who said 不方便, handed it back, or were rated low
  dispatch_carded(session, ticket)                    the coordinators a 📮 card of it reached, any level
  take_back_task_card(session, ticket, member, now, reason)   his card edited: no buttons, no contact

Points and statistics (points.py, stats.py)
  member_summary(session, tid)                        /points: points, rank in grid, stars
  leaderboard(session, scope, since=, until=, limit=) per grid/community/street
  compute_quarter_stars(session, "2025Q3", now)       评星 for every member
  compute_stats(session, scope, start, end, now, category=)   Stats: response_rate,
                                        resolution_rate, satisfaction_rate, overdue_rate
  stats_by(session, scope, start, end, now, by="category"|"child"|"grid"|"community")

Outbox, for the delivery worker (outbox.py); each step in its own transaction
  claim_notifications(session, worker_id, now, limit=50)   → [Outgoing]: id, recipient_id,
                                        kind, ticket_id, payload, attempts, edit_chat_id,
                                        edit_message_id (set: edit that message instead); not one
                                        behind a person's earlier one being sent or holding the chat
  mark_delivered(session, id, now, chat_id=, message_id=)  record the sent message
  mark_failed(session, id, now, error, retry_after=, transient=, holds_chat=)  backoff; None when
                                        given up (never for a transient failure: 429, the network)
  mark_unreachable(session, id, now)                       403: off duty, offers re-routed
  Kinds (models.NotificationKind): ticket_created, offer, assigned, offer_withdrawn (edit
  the offer: reason taken/cancelled/dispatch/reassigned), offer_accepted (winner: full details),
  ticket_accepted, ticket_started, ticket_handed_back, ticket_resolved, resolution_note, rate_request, rated,
  ticket_reopened, ticket_closed, ticket_cancelled, ticket_reassigned, dispatch_needed,
  urgent_alert, low_rating (then low_rating_comment: the reason, a note), member_unreachable. Payloads hold what the message needs
  (number, item_name, grid_name, text, …); address/phone only for the assignee/coordinators.

Group chats' alert subscriptions (subscriptions.py; /subscribe, /unsubscribe in a group)
  subscribe_group(session, chat_id, coordinator_tid, now, scope=None)   → Subscribed (code,
                                        name, level, created); scope: a level word, name or code
  unsubscribe_group(session, chat_id, coordinator_tid, scope=None)     → (ended, kept, others) names
  group_scopes(session, chat_id) / group_gone(session, chat_id) / move_group(session, old, new, now)
  Copies of urgent_alert, red_card, dispatch_needed and low_rating go to the groups subscribed
  over the ticket's grid as kind group_alert (no personal data), queued by outbox.notify_rows.

Residents' data rights (privacy.py; /mydata, /forget)
  resident_data(session, tid)                         everything stored about a resident (dict)
  forget_resident(session, tid, now)                  erase: open tickets cancelled, tickets kept
                                        anonymized for statistics; returns tickets anonymized

Conversations in progress (drafts.py)
  get_draft(session, tid, flow) / save_draft(session, tid, flow, state, now) /
  clear_draft(session, tid, flow=None)                JSON state per (user, flow)
"""
