
namespace StocksRebuild.Database;

/// <summary>
/// The one way the library runs a statement: parameters by name (never pasted into the text), on the caller's
/// connection and transaction. Identifiers that must be part of the text go through <see cref="DatabaseName.Quote"/>.
/// </summary>
public static class Sql
{
    public static int Execute(NpgsqlConnection connection, string sql, object? parameters = null, NpgsqlTransaction? transaction = null)
    {
        using var command = Command(connection, sql, parameters, transaction);
        return command.ExecuteNonQuery();
    }

    public static T Scalar<T>(NpgsqlConnection connection, string sql, object? parameters = null, NpgsqlTransaction? transaction = null)
    {
        using var command = Command(connection, sql, parameters, transaction);
        var value = command.ExecuteScalar();
        return value switch
        {
            null or DBNull => default!,
            T typed => typed,
            _ => (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)),
        };
    }

    public static List<T> Query<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> map, object? parameters = null,
        NpgsqlTransaction? transaction = null)
    {
        using var command = Command(connection, sql, parameters, transaction);
        return Read(command, map);
    }

    /// <summary>Every row of a command's result, mapped.</summary>
    public static List<T> Read<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> map)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }

    /// <summary>A command with the properties of <paramref name="parameters"/> (an anonymous object) as its named parameters.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object? parameters = null, NpgsqlTransaction? transaction = null)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var property in parameters?.GetType().GetProperties() ?? [])
            command.Parameters.AddWithValue(property.Name, property.GetValue(parameters) ?? DBNull.Value);
        return command;
    }
}
