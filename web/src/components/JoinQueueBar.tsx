import { useEffect, useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { Lang } from '../i18n/strings';

/** "1.234" in Vietnamese, "1,234" in English. */
function formatNumber(n: number, lang: Lang): string {
  return n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
}

/**
 * A join waiting its turn: the place in the queue, the estimated wait counting down, and a
 * progress bar (the share of the estimated wait already spent). The client polls by itself and
 * joins when admitted; this only explains the wait.
 */
export function JoinQueueBar() {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const queue = useStore((s) => s.joinQueue);
  const [now, setNow] = useState(() => Date.now());
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const waiting = queue !== null;
  useEffect(() => {
    if (!waiting) {
      setStartedAt(null);
      return;
    }
    setStartedAt((s) => s ?? Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [waiting]);
  if (!queue) return null;

  const leftMs = Math.max(0, queue.etaMs - (now - queue.updatedAt));
  const spentMs = Math.max(0, now - (startedAt ?? now));
  const progress = spentMs + leftMs > 0 ? Math.min(0.99, spentMs / (spentMs + leftMs)) : 0;
  const leftS = Math.max(1, Math.round(leftMs / 1000));
  const wait =
    leftS < 90
      ? t('queueSeconds').replace('{n}', formatNumber(leftS, lang))
      : t('queueMinutes').replace('{n}', formatNumber(Math.round(leftS / 60), lang));
  const title = t('queueTitle').replace('{position}', formatNumber(queue.position, lang)).replace('{wait}', wait);
  return (
    <section className="join-queue" role="status" aria-live="polite" data-position={queue.position} data-lane={queue.lane}>
      <p className="join-queue-title">{title}</p>
      <progress max={100} value={Math.round(progress * 100)} aria-label={title} />
      <p className="hint">{queue.lane === 'rejoin' ? t('queueRejoin') : t('queueExplain')}</p>
    </section>
  );
}
