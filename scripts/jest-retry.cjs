// mediasoup's tests set tight per-test timeouts (2 s); on a shared, loaded machine a test can
// time out without anything being wrong. Each failing test is retried twice, errors logged.
jest.retryTimes(2, { logErrorsBeforeRetry: true });
