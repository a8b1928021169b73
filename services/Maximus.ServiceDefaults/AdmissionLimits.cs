using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Maximus.ServiceDefaults;

/// <summary>
/// One concurrency bound per admission group (<see cref="Maximus.Contracts.Ports.ServiceOperation.Admission"/>):
/// <see cref="ServiceDefaultsOptions.AdmissionPermitsPerCore"/> × processors requests at once, none queued — a request
/// beyond the bound is refused at once (the caller answers 429 with Retry-After), so the admitted ones are not slowed
/// down by an ever longer queue for the CPU.
/// </summary>
public sealed class AdmissionLimits(IOptions<ServiceDefaultsOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrencyLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>Requests of one group that may run at once (0: unbounded).</summary>
    public int Permits { get; } = options.Value.AdmissionPermitsPerCore * Environment.ProcessorCount;

    public int RetryAfterSeconds { get; } = options.Value.RetryAfterSeconds;

    /// <summary>
    /// Admits one request of <paramref name="group"/>, or refuses it when the group is at its bound. The lease (null when
    /// there is no bound) must be disposed when the request is done.
    /// </summary>
    public bool TryEnter(string group, out RateLimitLease? lease)
    {
        lease = null;
        if (Permits <= 0)
        {
            return true;
        }

        var acquired = _limiters.GetOrAdd(group, _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = Permits, QueueLimit = 0 })).AttemptAcquire();
        if (acquired.IsAcquired)
        {
            lease = acquired;
            return true;
        }

        acquired.Dispose();
        return false;
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }
}
