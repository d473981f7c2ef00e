using EdgeCluster.Contracts;
namespace EdgeCluster.Node.Http;

/// <summary>Every refusal the API gives: a status code and a JSON body that says what is wrong and, where it can, which field.</summary>
public static class ApiErrors
{
    public static IResult BadRequest(string field, string message, int? index = null) =>
        Results.Json(new ApiError(message, field, index), statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string message, string? field = null) =>
        Results.Json(new ApiError(message, field), statusCode: StatusCodes.Status404NotFound);

    public static IResult TooLarge() =>
        Results.Json(new ApiError($"request body is larger than {NodeHost.MaxBodyBytes} bytes", "body"),
            statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult UnsupportedMediaType(string? contentType) =>
        Results.Json(new ApiError($"Content-Type '{contentType}' is not accepted: send application/json", "Content-Type"),
            statusCode: StatusCodes.Status415UnsupportedMediaType);

    public static IResult Unavailable(string message) =>
        Results.Json(new ApiError(message), statusCode: StatusCodes.Status503ServiceUnavailable);
}
