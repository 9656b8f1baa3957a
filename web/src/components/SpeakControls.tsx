import { useEffect, useRef, useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { deviceErrorText, errorText } from '../i18n/errors';
import type { MeetingClient } from '../client/MeetingClient';
import { Icon } from './Icon';

/**
 * A teacher's hand button, the invitation prompt, and the speaking indicator. The hand button
 * shows the state it will change (the server's, or a change waiting for the connection) and
 * sends exactly the opposite of what it shows.
 */
export function SpeakControls({ client }: { client: MeetingClient }) {
  const t = useT();
  const speakState = useStore((s) => s.speakState);
  const pendingHand = useStore((s) => s.pendingHand);
  const publishing = useStore((s) => s.publishing);
  const deviceError = useStore((s) => s.deviceError);
  const [notice, setNotice] = useState<string | null>(null);
  // Whether she turned her own microphone off (rather than it still opening, or failing to).
  const [selfOff, setSelfOff] = useState(false);
  const granted = speakState.grant !== null;
  useEffect(() => {
    if (!granted) setSelfOff(false);
  }, [granted]);

  const act = (p: Promise<unknown>): void => {
    setNotice(null);
    p.catch((e: unknown) => setNotice(errorText(t, e)));
  };

  if (speakState.grant) {
    // What her microphone does, with its true reason: the host's mute, on, turned off by her, a
    // device the browser could not open, or still opening (the grant has just arrived).
    const micState = speakState.grant.muted ? 'muted' : publishing.mic ? 'on' : selfOff ? 'off' : deviceError ? 'failed' : 'starting';
    return (
      <div className="speak-bar speaking" data-speaking="true" role="status">
        <span className="dot" />{' '}
        <span data-mic-state={micState}>
          {micState === 'muted' ? t('youAreMuted') : micState === 'on' ? t('youAreSpeaking') : micState === 'off' ? t('youMutedYourself') : micState === 'failed' ? deviceErrorText(t, deviceError!) : t('micStarting')}
        </span>
        {/* Her own microphone, off and on again, whatever the host's mute says (that one only the host lifts). */}
        <button
          data-control="mic"
          aria-pressed={publishing.mic}
          onClick={() => {
            setSelfOff(publishing.mic);
            act(publishing.mic ? client.stop('mic') : client.start('mic'));
          }}
        >
          <Icon name="mic" /> {t(publishing.mic ? 'stopMic' : 'startMic')}
        </button>
        {speakState.grant.allowVideo && (
          <button data-control="camera" aria-pressed={publishing.camera} onClick={() => act(publishing.camera ? client.stop('camera') : client.start('camera'))}>
            <Icon name="camera" /> {t(publishing.camera ? 'stopCamera' : 'startCamera')}
          </button>
        )}
        <button data-action="stop-speaking" onClick={() => act(client.stopSpeaking())}>
          {t('stopSpeaking')}
        </button>
        {notice && <span className="error" role="alert">{notice}</span>}
      </div>
    );
  }
  const raised = pendingHand ?? speakState.handRaised;
  return (
    <div className="speak-bar">
      <button
        data-action="hand"
        data-raised={raised}
        data-pending={pendingHand !== null}
        aria-pressed={raised}
        className={raised ? 'on' : ''}
        onClick={() => act(client.setHand(!raised))}
      >
        <Icon name="hand" /> {t(raised ? 'lowerHand' : 'raiseHand')}
      </button>
      {pendingHand !== null ? (
        <span className="hint" data-testid="hand-pending" role="status">{t(pendingHand ? 'pendingHandUp' : 'pendingHandDown')}</span>
      ) : (
        speakState.handRaised && <span className="hint">{t('handRaised')}</span>
      )}
      {notice && <span className="error" role="alert">{notice}</span>}
      {speakState.invitation && <Invitation client={client} allowVideo={speakState.invitation.allowVideo} onError={setNotice} />}
    </div>
  );
}

/** The invitation dialog: takes focus when it opens, and gives it back when it closes. */
function Invitation({ client, allowVideo, onError }: { client: MeetingClient; allowVideo: boolean; onError: (text: string) => void }) {
  const t = useT();
  const accept = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    accept.current?.focus();
    return () => {
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  const respond = (yes: boolean): void => void client.respondInvitation(yes).catch((e: unknown) => onError(errorText(t, e)));
  return (
    <div className="invitation" role="dialog" aria-modal="false" aria-labelledby="invitation-title" aria-describedby="invitation-text" data-invitation="open"
      onKeyDown={(e) => e.key === 'Escape' && respond(false)}>
      <strong id="invitation-title">{t('invitedTitle')}</strong>
      <p id="invitation-text">{t(allowVideo ? 'invitedVideo' : 'invitedAudio')}</p>
      <div className="row">
        <button ref={accept} data-action="accept" className="on" onClick={() => respond(true)}>
          {t('accept')}
        </button>
        <button data-action="decline" onClick={() => respond(false)}>
          {t('decline')}
        </button>
      </div>
    </div>
  );
}

/** Meeting-level: who speaks now. */
export function ActiveSpeakers() {
  const t = useT();
  const speakers = useStore((s) => s.activeSpeakers);
  if (speakers.length === 0) return null;
  return (
    <p className="active-speakers" data-active-speakers={speakers.map((s) => s.userId).join(',')}>
      <Icon name="mic" /> {t('nowSpeaking')}: {speakers.map((s) => s.name).join(', ')}
    </p>
  );
}
