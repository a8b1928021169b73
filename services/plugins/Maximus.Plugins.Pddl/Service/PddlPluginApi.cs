using System.Text.RegularExpressions;
using Maximus.Contracts;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;

namespace Maximus.Plugins.Pddl.Service;

/// <summary>
/// The PDDL environment plugin (app id <c>pddl-env</c>): plugin contract v1 plus environment management.
/// The contract's <c>context</c> is the environment id.
/// </summary>
public static partial class PddlPluginApi
{
    public const string PluginName = "pddl-env";
    public const string PluginVersion = "1.0.0";

    public static IEnumerable<ServiceOperation> Operations(string appId = AppIds.PddlPlugin) =>
    [
        ServiceOperation.Post<CreateEnvironmentRequest, EnvironmentCreated>(appId, "v1/environments", CreateAsync, successStatus: 201),
        ServiceOperation.Get(appId, "v1/environments/{id}", async call =>
        {
            var env = await Store(call).GetAsync(call.Route("id"), call.CancellationToken).ConfigureAwait(false);
            return new EnvironmentView(call.Route("id"), env.State(), env.AppliedRequestIds);
        }),
        ServiceOperation.Post<ExternalChangeRequest, PluginState>(appId, "v1/environments/{id}/changes", (change, call) =>
            Store(call).ChangeAsync(call.Route("id"), env =>
            {
                try
                {
                    env.ExternalChange(change.Add ?? [], change.Delete ?? []);
                }
                catch (ArgumentException ex)
                {
                    throw ProblemException.Invalid("add", ex.Message);
                }

                return env.State();
            }, call.CancellationToken)),
        ServiceOperation.Get(appId, PluginContract.ManifestMethod, async call =>
        {
            if (call.QueryValue("context") is not { Length: > 0 } context)
            {
                return new PluginManifest(PluginName, PluginVersion, PluginContract.Version, [],
                    "PDDL environments (STRIPS with types and negative preconditions). Create one with POST v1/environments and pass its id as context.");
            }

            return (await Store(call).GetAsync(context, call.CancellationToken).ConfigureAwait(false)).Manifest(PluginName, PluginVersion);
        }),
        ServiceOperation.Get(appId, PluginContract.StateMethod, async call =>
            (await Store(call).GetAsync(RequireContext(call.QueryValue("context")), call.CancellationToken).ConfigureAwait(false)).State()),
        ServiceOperation.Post<ActionRequest, ActionResult>(appId, "plugin/actions/{name}", (request, call) =>
        {
            if (string.IsNullOrWhiteSpace(request.RequestId))
            {
                throw ProblemException.Invalid("requestId", "is required.");
            }

            var context = RequireContext(request.Context ?? call.QueryValue("context"));
            return Store(call).ChangeAsync(context, env => env.Apply(request, call.Route("name")), call.CancellationToken);
        }),
    ];

    private static async Task<EnvironmentCreated> CreateAsync(CreateEnvironmentRequest request, OperationCall call)
    {
        if (string.IsNullOrWhiteSpace(request.Domain))
        {
            throw ProblemException.Invalid("domain", "is required (the PDDL domain text).");
        }

        if (string.IsNullOrWhiteSpace(request.Problem))
        {
            throw ProblemException.Invalid("problem", "is required (the PDDL problem text).");
        }

        var id = request.EnvironmentId ?? Guid.NewGuid().ToString("N");
        if (!IdPattern().IsMatch(id))
        {
            throw ProblemException.Invalid("environmentId", "must be 1 to 64 letters, digits, '.', '_' or '-'.");
        }

        PddlEnvironment environment;
        try
        {
            environment = PddlEnvironment.Create(request.Domain, request.Problem, request.DomainFile ?? "domain", request.ProblemFile ?? "problem");
        }
        catch (PddlParseException ex)
        {
            var field = ex.FileName == (request.ProblemFile ?? "problem") ? "problem" : "domain";
            throw new ProblemException(400, "Invalid PDDL", ex.Message, field);
        }

        await Store(call).CreateAsync(id, environment, call.CancellationToken).ConfigureAwait(false);
        return new EnvironmentCreated(id, environment.Domain.Name, environment.Problem.Name, environment.State().Objects.Count, environment.Goal);
    }

    private static PddlEnvironmentStore Store(OperationCall call) => call.GetService<PddlEnvironmentStore>();

    private static string RequireContext(string? context) =>
        string.IsNullOrWhiteSpace(context)
            ? throw ProblemException.Invalid("context", "is required: the environment id returned by POST v1/environments.")
            : context;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();
}
