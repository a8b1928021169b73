using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;

namespace Maximus.Reflection.Apis;

/// <summary>The reflector's service-invocation API (the synchronous CRITICAL path).</summary>
public static class ReflectionApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<ExecutionLog, ReflectionResult>(AppIds.Reflector, "v1/reflections",
            (log, call) => call.GetService<ReflectionService>().ReflectAsync(log, call.CancellationToken)),
        ServiceOperation.Get(AppIds.Reflector, "v1/reflections/{logId}", async call =>
            await call.GetService<ReflectionService>().GetAsync(call.Route("logId"), call.CancellationToken).ConfigureAwait(false)
                ?? throw ProblemException.NotFound($"No reflection for log '{call.Route("logId")}'.")),
    ];
}
