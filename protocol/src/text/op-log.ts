/**
 * The replica's operation log in arrival order (which is a causal order: an op is only
 * applied once its dependencies are). One entry is a span of consecutive ids of one
 * agent and one kind; typing extends the last insert span, backspacing extends the
 * last backward delete span, so a long editing session stays a short log.
 *
 * Columns (typed arrays, grown by doubling):
 *   agent, seq, len, kind (INSERT | DEL_FWD | DEL_BACK), tAgent, tSeq
 * For DEL_FWD id seq+i deletes tAgent:tSeq+i; for DEL_BACK it deletes tAgent:tSeq-i.
 */
export const INSERT = 0;
export const DEL_FWD = 1;
export const DEL_BACK = 2;

export class OpLog {
  count = 0;
  agent = new Int32Array(16);
  seq = new Int32Array(16);
  len = new Int32Array(16);
  kind = new Uint8Array(16);
  tAgent = new Int32Array(16);
  tSeq = new Int32Array(16);

  /** Room for at least n spans. */
  reserve(n: number): void {
    while (this.agent.length < n) this.grow(Math.max(n, this.agent.length * 2));
  }

  private grow(n = this.agent.length * 2): void {
    const g = <T extends Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.agent = g(this.agent);
    this.seq = g(this.seq);
    this.len = g(this.len);
    this.kind = g(this.kind);
    this.tAgent = g(this.tAgent);
    this.tSeq = g(this.tSeq);
  }

  /** Appends a span as is (decoding). */
  push(agent: number, seq: number, len: number, kind: number, tAgent: number, tSeq: number): void {
    if (this.count === this.agent.length) this.grow();
    const i = this.count++;
    this.agent[i] = agent;
    this.seq[i] = seq;
    this.len[i] = len;
    this.kind[i] = kind;
    this.tAgent[i] = tAgent;
    this.tSeq[i] = tSeq;
  }

  addInsert(agent: number, seq: number, len: number): void {
    const l = this.count - 1;
    if (l >= 0 && this.kind[l] === INSERT && this.agent[l] === agent && this.seq[l]! + this.len[l]! === seq) {
      this.len[l]! += len;
      return;
    }
    this.push(agent, seq, len, INSERT, 0, 0);
  }

  addDelete(agent: number, seq: number, len: number, tAgent: number, tSeq: number): void {
    const l = this.count - 1;
    if (l >= 0 && this.kind[l] !== INSERT && this.agent[l] === agent && this.seq[l]! + this.len[l]! === seq && this.tAgent[l] === tAgent) {
      const k = this.kind[l];
      const ll = this.len[l]!;
      if (k === DEL_FWD && tSeq === this.tSeq[l]! + ll) {
        this.len[l] = ll + len;
        return;
      }
      if (len === 1 && tSeq === this.tSeq[l]! - ll && (k === DEL_BACK || ll === 1)) {
        this.kind[l] = DEL_BACK;
        this.len[l] = ll + 1;
        return;
      }
    }
    this.push(agent, seq, len, DEL_FWD, tAgent, tSeq);
  }
}
