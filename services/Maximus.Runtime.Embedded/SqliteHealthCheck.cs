using Maximus.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maximus.Runtime.Embedded;

/// <summary>Ready when the SQLite file answers a query.</summary>
internal sealed class SqliteHealthCheck(SqliteDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var connection = database.Open();
            using var command = Sql.Command(connection, "SELECT 1");
            command.ExecuteScalar();
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception ex)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("SQLite is not reachable.", ex));
        }
    }
}
