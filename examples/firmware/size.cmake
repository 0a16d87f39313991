# size.cmake - post-build check of the firmware (cmake -P):
#   NM, SIZE   arm-none-eabi-nm / arm-none-eabi-size
#   ARCHIVES   the static libraries (firmware, model, kdcrt)
#   IMAGE      an ELF linked with --gc-sections from firmware_classify
#   REPORT     kdc's JSON report of the model (optional)
# Fails if anything needs the heap or stdio; prints flash (text + data) and
# RAM (data + bss).
set(forbidden malloc calloc realloc free _malloc_r _free_r _Znwj _Znaj _ZdlPv
    printf fprintf sprintf snprintf vprintf puts fputs fwrite putchar fopen
    __cxa_allocate_exception)
foreach(file IN LISTS ARCHIVES IMAGE)
  execute_process(COMMAND ${NM} -u ${file} OUTPUT_VARIABLE undefined
                  COMMAND_ERROR_IS_FATAL ANY)
  foreach(symbol IN LISTS forbidden)
    if(undefined MATCHES "[ \t\n]U ${symbol}\n")
      get_filename_component(name ${file} NAME)
      message(FATAL_ERROR "${name} references ${symbol}: the firmware must not use the heap or stdio")
    endif()
  endforeach()
endforeach()
if(IMAGE)
  execute_process(COMMAND ${NM} ${IMAGE} OUTPUT_VARIABLE defined COMMAND_ERROR_IS_FATAL ANY)
  foreach(symbol IN LISTS forbidden)
    if(defined MATCHES " ${symbol}\n")
      message(FATAL_ERROR "the linked image contains ${symbol}: the firmware must not use the heap or stdio")
    endif()
  endforeach()
endif()

# Berkeley format: "text data bss dec hex filename"; -t adds a TOTALS line.
function(kdc_size label)
  execute_process(COMMAND ${SIZE} -B -t ${ARGN} OUTPUT_VARIABLE out
                  COMMAND_ERROR_IS_FATAL ANY)
  string(REGEX MATCH "([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]+[0-9]+[ \t]+[0-9a-f]+[ \t]+\\(TOTALS\\)" _ "${out}")
  if(NOT CMAKE_MATCH_0)
    string(REGEX MATCH "([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]+[0-9]+[ \t]+[0-9a-f]+[ \t]+[^\n]*\n*$" _ "${out}")
  endif()
  math(EXPR flash "${CMAKE_MATCH_1} + ${CMAKE_MATCH_2}")
  math(EXPR ram "${CMAKE_MATCH_2} + ${CMAKE_MATCH_3}")
  message(STATUS "${label}: flash ${flash} bytes, RAM ${ram} bytes "
                 "(text ${CMAKE_MATCH_1}, data ${CMAKE_MATCH_2}, bss ${CMAKE_MATCH_3})")
endfunction()

kdc_size("firmware libraries (all of kdcrt)" ${ARCHIVES})
if(IMAGE)
  kdc_size("firmware image (--gc-sections)" ${IMAGE})
endif()
if(REPORT AND EXISTS "${REPORT}")
  file(READ "${REPORT}" json)
  foreach(key weight_bytes tokenizer_bytes workspace_bytes macs)
    string(JSON value ERROR_VARIABLE err GET "${json}" ${key})
    if(NOT err)
      message(STATUS "model ${key}: ${value}")
    endif()
  endforeach()
endif()
message(STATUS "no malloc, no stdio: ok")
