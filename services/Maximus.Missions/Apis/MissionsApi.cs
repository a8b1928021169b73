using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Ports;

namespace Maximus.Missions.Apis;

/// <summary>The orchestrator's mission API.</summary>
public static class MissionsApi
{
    public sealed record ResumeRequest(string? Reason = null);

    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<MissionRequest, MissionAccepted>(AppIds.Orchestrator, "v1/missions",
            (request, call) => call.GetService<MissionService>().StartAsync(request, call.CancellationToken), successStatus: 202),
        ServiceOperation.Get(AppIds.Orchestrator, "v1/missions", call =>
            call.GetService<MissionService>().ListAsync(call.QueryInt("limit", 20, 1, 1000), call.QueryValue("view") switch
            {
                null or "full" => false,
                "summary" => true,
                _ => throw ProblemException.Invalid("view", "must be full or summary."),
            }, call.CancellationToken)),
        ServiceOperation.Get(AppIds.Orchestrator, "v1/missions/{id}", call =>
            call.GetService<MissionService>().GetAsync(call.Route("id"), call.CancellationToken)),
        ServiceOperation.Post<ResumeRequest, MissionView>(AppIds.Orchestrator, "v1/missions/{id}/resume",
            (_, call) => call.GetService<MissionService>().ResumeAsync(call.Route("id"), call.CancellationToken), successStatus: 202),
        ServiceOperation.Post<StepApproval, MissionView>(AppIds.Orchestrator, "v1/missions/{id}/approvals",
            (approval, call) => call.GetService<MissionService>().ApproveAsync(call.Route("id"), approval, call.CancellationToken), successStatus: 202),
    ];
}
