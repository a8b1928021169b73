using Maximus.Contracts;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Ports;

namespace Maximus.Execution.Apis;

public static class ExecutorApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<ExecuteStepRequest, ExecuteStepResponse>(AppIds.Executor, "v1/steps",
            (request, call) => call.GetService<StepExecutor>().ExecuteAsync(request, call.CancellationToken)),
    ];
}
