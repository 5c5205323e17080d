/**
 * Work the bridge started that no caller waits for (cleanup, seals, polls), kept so `idle()` and
 * `close()` can wait for it and a verification's seal can wait for the entries its work still has to log.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly byVerification = new Map<string, Set<Promise<unknown>>>();

  constructor(private readonly report: (error: unknown) => void) {}

  /** Keeps `work` until it settles; its failure is reported, never thrown. */
  track(work: Promise<unknown>, verificationId?: string): void {
    const settled = work.catch(this.report).finally(() => {
      this.pending.delete(settled);
      const own = verificationId === undefined ? undefined : this.byVerification.get(verificationId);
      own?.delete(settled);
      if (own?.size === 0) this.byVerification.delete(verificationId!);
    });
    this.pending.add(settled);
    if (verificationId !== undefined) this.byVerification.set(verificationId, (this.byVerification.get(verificationId) ?? new Set()).add(settled));
  }

  /** Resolves once every piece of work of one verification has settled, including work started meanwhile. */
  async settledFor(verificationId: string): Promise<void> {
    for (let own = this.byVerification.get(verificationId); own && own.size > 0; own = this.byVerification.get(verificationId)) {
      await Promise.all([...own]);
    }
  }

  /** Resolves once all work has settled, including work started meanwhile. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
