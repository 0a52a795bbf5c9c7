/* fuzz_csv.c -- the CSV engine with real definitions and their headers. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *name, *header;
    } f[] = {
        {"relayaudit-map", "caller,account,egress_session,country,max_callers"},
        {"litellm-spendlogs",
         "request_id,api_key,spend,prompt_tokens,completion_tokens,startTime,"
         "request_duration_ms,model,model_id,custom_llm_provider,api_base,"
         "user,metadata,team_id,end_user,requester_ip_address,session_id,"
         "status"},
        {"newapi-logs", "id,user_id,created_at,type,content,username,"
                        "token_name,model_name,quota,prompt_tokens,"
                        "completion_tokens,use_time,is_stream,channel_id,"
                        "token_id,group,ip,other"},
        {"litellm-errorlogs", "request_id,startTime,endTime,api_base,"
                              "model_group,litellm_model_name,model_id,"
                              "request_kwargs,exception_type,"
                              "exception_string,status_code"},
    };
    fz_init();
    if (size < 1)
        return 0;
    int k = data[0] % 4;
    fz_parse(f[k].name, f[k].header, data + 1, size - 1);
    return 0;
}
