using System.Data;
using System.Security.Cryptography;
using System.Text;
using DbUp.Engine;

namespace StocksRebuild.Migrations;

/// <summary>DbUp's journal, plus the sha256 of each script stored in the same transaction as the script.</summary>
sealed class ChecksumJournal(IJournal inner) : IJournal
{
    public const string Table = "schema_checksums";

    public string[] GetExecutedScripts() => inner.GetExecutedScripts();

    public void EnsureTableExistsAndIsLatestVersion(Func<IDbCommand> dbCommandFactory)
    {
        inner.EnsureTableExistsAndIsLatestVersion(dbCommandFactory);
        using var command = dbCommandFactory();
        command.CommandText = SqlFiles.Read("journal/create_checksums.sql");
        command.ExecuteNonQuery();
    }

    public void StoreExecutedScript(SqlScript script, Func<IDbCommand> dbCommandFactory)
    {
        inner.StoreExecutedScript(script, dbCommandFactory);
        using var command = dbCommandFactory();
        command.CommandText = $"INSERT INTO {Database.Statements.Table(Table)} (script_name, sha256) VALUES (@name, @sha256)";
        AddParameter(command, "name", script.Name);
        AddParameter(command, "sha256", Sha256(script.Contents));
        command.ExecuteNonQuery();
    }

    public static string Sha256(string contents) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(contents.ReplaceLineEndings("\n")))).ToLowerInvariant();

    static void AddParameter(IDbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
