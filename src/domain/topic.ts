/**
 * One message of a topic: plain data, as a store keeps and sends it. Ids count
 * from 0 per topic, in publish order, with no gaps: a reader that knows the last
 * id it saw can always tell what it missed.
 */
export interface TopicMessage {
  readonly id: number;
  /** Epoch ms at which the hub took it. */
  readonly publishedAt: number;
  readonly body: Uint8Array;
}

/**
 * How much of a topic is kept ([P-TOPIC-RETENTION]). A message older than
 * `maxAgeMs` is gone, whatever else holds. At the count or byte cap, messages
 * the queue has already handed out make room first; past that, `discard: 'new'`
 * refuses the publish (`topic_full`) and `discard: 'old'` drops the oldest
 * (counted as `dropped`), as a broadcast stream wants.
 */
export interface TopicRetention {
  readonly maxAgeMs: number;
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly discard: 'new' | 'old';
}

/** A topic's figures, as `GET /topics` lists them. */
export interface TopicInfo {
  readonly name: string;
  /** Epoch ms of its first publish or setting. */
  readonly createdAt: number;
  /** Messages ever published: the next message's id. */
  readonly seq: number;
  /** The oldest id still kept (`seq` when none is). */
  readonly first: number;
  /** Messages kept now, and their bytes. */
  readonly messages: number;
  readonly bytes: number;
  /** Messages kept that the queue (`GET /topics/<t>`) has not handed out yet. */
  readonly queued: number;
  /** Messages the queue never handed out that retention removed: by age, and by `discard: 'old'`. */
  readonly expired: number;
  readonly dropped: number;
  readonly retention: TopicRetention;
}

/** What a cursor read found: messages after an id, and where the topic stands. */
export interface TopicRead {
  /** In id order, at most the count asked for. */
  readonly messages: readonly TopicMessage[];
  /** The oldest id kept: a reader whose next id is below it lost what is between to retention. */
  readonly first: number;
  /** The next id to be published. */
  readonly seq: number;
}
